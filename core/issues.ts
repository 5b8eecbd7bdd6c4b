import type { z } from "zod";

/** One validation problem as it goes on the wire: where (a dotted path from the root) and what. */
export interface Issue {
  path: string;
  message: string;
}

/**
 * zod issues reshaped for the wire (`details.issues` of an `invalid_request`, on REST and on a
 * socket alike). `prefix` roots the paths under a parent, e.g. `operations.2`.
 */
export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): Issue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join("."),
    message: issue.message,
  }));
}

import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "../core/errors";
import { describeIssues } from "../core/issues";
import { parseJsonText } from "../core/json-limits";
import type { AppEnv } from "./app-env";

/**
 * Validates one part of a request (`what` names it in the message: "path parameters").
 *
 * @throws {ApiError} `invalid_request`, with each issue and its path in `details.issues`.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ApiError("invalid_request", `Invalid ${what}.`, { issues: describeIssues(result.error) });
  }
  return result.data;
}

/**
 * Reads the request body as JSON and validates it. An empty body is validated as `{}` so that
 * endpoints whose fields are all optional accept a bare POST.
 *
 * @throws {ApiError} `invalid_json` when the body is not JSON; `invalid_request` when it is beyond
 * the limits of every JSON value (core/json-limits.ts: `details.max_depth` or `details.number`), or
 * does not match the schema (details list each issue with its path).
 */
export async function readJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  if (text.trim() === "") return parseInput(schema, {}, "request body");
  const parsed = parseJsonText(text);
  if (!parsed.ok) {
    const { kind, message, details } = parsed.problem;
    if (kind === "syntax") throw new ApiError("invalid_json", `The request body is not valid JSON: ${message}`);
    throw new ApiError("invalid_request", `The request body is refused: ${message}`, details);
  }
  return parseInput(schema, parsed.value, "request body");
}

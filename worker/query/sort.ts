import type { OrderByContext, SortKey } from "./ast";

/**
 * Parses a sort spec: comma-separated doc paths, `-` for descending (`-age,profile.city`).
 *
 * @throws {ApiError} `invalid_filter` for a bad path or too many keys.
 */
export function parseSort(spec: string): SortKey[] {
  void spec;
  throw new Error("parseSort: not implemented yet");
}

/**
 * ORDER BY expressions (without the keywords, comma-separated) that order mixed JSON types
 * deterministically: missing/null < false < true < numbers < strings < arrays < objects.
 * The caller appends its own final tiebreak (e.g. `, d.id`).
 */
export function compileOrderBy(keys: readonly SortKey[], ctx: OrderByContext): string {
  void keys;
  void ctx;
  throw new Error("compileOrderBy: not implemented yet");
}

/** The same order in memory (for watchers): negative when `a` sorts before `b`. */
export function compareForSort(a: unknown, b: unknown, keys: readonly SortKey[]): number {
  void a;
  void b;
  void keys;
  throw new Error("compareForSort: not implemented yet");
}

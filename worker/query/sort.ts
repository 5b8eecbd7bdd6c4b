import type { OrderByContext, SortKey } from "./ast";
import { FIELD_SEGMENT, MAX_PATH_SEGMENTS, MAX_SORT_KEYS } from "./ast";
import { jsonPathLiteral } from "./compile-sql";
import { filterError } from "./filter-error";

export { compareForSort } from "./sort-order";

/**
 * Parses a sort spec: comma-separated paths, each optionally prefixed with `-` (descending) or
 * `+` (ascending). Keys without a sign take `defaultOrder` (Cocobase clients send
 * `sort=created_at&order=desc`).
 *
 * @example
 * parseSort("-age,profile.city"); // [{ path: ["age"], desc: true }, { path: ["profile", "city"], desc: false }]
 *
 * @throws {ApiError} `invalid_filter` (with `details.param: "sort"` and the position) for an
 * invalid path or more than `MAX_SORT_KEYS` keys.
 */
export function parseSort(spec: string, defaultOrder: "asc" | "desc" = "asc"): SortKey[] {
  const keys: SortKey[] = [];
  if (spec.trim() === "") return keys;
  let position = 0;
  for (const raw of spec.split(",")) {
    const text = raw.trim();
    const at = position + raw.indexOf(text);
    position += raw.length + 1;
    const sign = text[0] === "-" || text[0] === "+" ? text[0] : "";
    const path = text.slice(sign.length).split(".");
    let segmentAt = at + sign.length;
    for (const segment of path) {
      if (!FIELD_SEGMENT.test(segment)) {
        throw filterError(`Invalid sort field ${JSON.stringify(segment)}: use letters, digits, _ and dots`, segmentAt, {
          param: "sort",
        });
      }
      segmentAt += segment.length + 1;
    }
    if (path.length > MAX_PATH_SEGMENTS) {
      throw filterError(`A field path may have at most ${MAX_PATH_SEGMENTS} segments`, at, { param: "sort" });
    }
    keys.push({ path, desc: sign === "-" || (sign === "" && defaultOrder === "desc") });
    if (keys.length > MAX_SORT_KEYS) {
      throw filterError(`At most ${MAX_SORT_KEYS} sort keys`, at, { param: "sort", max_sort_keys: MAX_SORT_KEYS });
    }
  }
  return keys;
}

/** One ORDER BY expression and its direction (a keyset cursor compares rows term by term). */
export interface OrderByTerm {
  readonly sql: string;
  readonly desc: boolean;
}

/**
 * The ORDER BY expressions of a sort, one by one. A document field gives two terms: a type rank
 * (missing/null < false < true < numbers < strings < arrays < objects), then its value, so mixed
 * types order the same way on every row; a name in `ctx.metaColumns` gives that column.
 */
export function orderByTerms(keys: readonly SortKey[], ctx: OrderByContext): OrderByTerm[] {
  const terms: OrderByTerm[] = [];
  for (const key of keys) {
    const meta = key.path.length === 1 ? ctx.metaColumns?.[key.path[0] as string] : undefined;
    if (meta !== undefined) {
      terms.push({ sql: meta, desc: key.desc });
      continue;
    }
    const args = `${ctx.column}, ${jsonPathLiteral(key.path)}`;
    const rank =
      `CASE json_type(${args}) WHEN 'false' THEN 1 WHEN 'true' THEN 2 WHEN 'integer' THEN 3 WHEN 'real' THEN 3` +
      ` WHEN 'text' THEN 4 WHEN 'array' THEN 5 WHEN 'object' THEN 6 ELSE 0 END`;
    terms.push({ sql: rank, desc: key.desc }, { sql: `json_extract(${args})`, desc: key.desc });
  }
  return terms;
}

/**
 * ORDER BY terms (comma-separated, without the keywords) that order mixed JSON types the same way
 * on every row: missing/null < false < true < numbers < strings < arrays < objects, then by value
 * within a type (numbers numerically, strings by code point). Descending reverses the whole order.
 * The caller appends the final tiebreak, e.g. `ORDER BY ${terms}, d.id`.
 *
 * @example
 * compileOrderBy(parseSort("-age"), { column: "d.data" });
 */
export function compileOrderBy(keys: readonly SortKey[], ctx: OrderByContext): string {
  return orderByTerms(keys, ctx)
    .map((term) => `${term.sql} ${term.desc ? "DESC" : "ASC"}`)
    .join(", ");
}

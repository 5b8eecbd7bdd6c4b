import type { QueryValue } from "./http.js";

/** A scalar a filter compares with. */
export type FilterScalar = string | number | boolean;

/**
 * A filter in the query-parameter syntax, as an object: keys are field paths with an optional
 * operator suffix, and `[or]` / `[or:group]` prefixes make or-groups.
 * - `{ status: "active", age_gte: 18 }`: status is "active" and age ≥ 18;
 * - `{ role_in: ["admin", "editor"] }`: arrays go with `_in` / `_notin` only and are sent
 *   comma-separated, so an item holding a comma, an empty array or an array on another key is a
 *   `TypeError` (write an expression such as `role in ["a,b"]` instead), never a different query;
 * - `{ deleted_at: null }` or `{ deleted_at_eq: null }`: null or missing (`deleted_at_isnull=true`);
 *   `{ deleted_at_ne: null }`: present and not null (`deleted_at_isnull=false`); `null` with any
 *   other suffix is a `TypeError`, never a condition silently left out;
 * - `{ "[or]role": "admin", "[or]age_lt": 18 }`, `{ "name__or__email_contains": "jo" }`.
 * Values travel as text, so `18` also matches the string "18"; use an expression string when the
 * type matters. Keys named like list options (`limit`, `sort`, …) need an expression.
 */
export type FilterObject = Record<string, FilterScalar | readonly FilterScalar[] | null | undefined>;

/** A filter: an object in the query-parameter syntax, or an expression such as `age >= 18 && status == "active"`. */
export type Filter = string | FilterObject;

/** Options of `collection.list()` and `collection.iterate()`. */
export interface ListQuery {
  filter?: Filter | undefined;
  /** Field paths, `-` for descending: `"-score,name"` or `["-score", "name"]`; ties break by id. */
  sort?: string | readonly string[] | undefined;
  /** Page size, 1–1000 (server default 50). */
  limit?: number | undefined;
  /** Documents to skip (up to 10000); prefer `cursor` for deep pages. */
  offset?: number | undefined;
  /** `next_cursor` of the previous page. */
  cursor?: string | null | undefined;
  /** Only these field paths of `data`. */
  select?: readonly string[] | undefined;
  /** All of `data` but these field paths. */
  exclude?: readonly string[] | undefined;
  /** Also count every matching document (`total` in the page). */
  total?: boolean | undefined;
}

/** Operator suffixes of the query-parameter syntax. */
const SUFFIX = /_(eq|ne|gt|gte|lt|lte|contains|startswith|endswith|in|notin|isnull)$/;

/** The query parameters of a filter. */
export function filterParams(filter: Filter | undefined): Record<string, QueryValue> {
  if (filter === undefined) return {};
  if (typeof filter === "string") return filter.trim() === "" ? {} : { filter };
  const params: Record<string, QueryValue> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (value === null) {
      const [param, text] = nullParam(key);
      params[param] = text;
      continue;
    }
    params[key] = isList(value) ? listParam(key, value) : String(value);
  }
  return params;
}

const isList = (value: FilterScalar | readonly FilterScalar[]): value is readonly FilterScalar[] =>
  Array.isArray(value);

/**
 * The text of an `_in` / `_notin` list. The server splits it on commas and has no escape, so an
 * item with a comma would become two values, and `[]` would become `[""]`: refused here rather
 * than sent as a query the caller did not write.
 */
function listParam(key: string, items: readonly FilterScalar[]): string {
  const suffix = SUFFIX.exec(key)?.[1];
  const hint = 'use an expression string such as \'field in ["a,b", "c"]\'';
  if (suffix !== "in" && suffix !== "notin") {
    throw new TypeError(`Filter key "${key}" takes one value; a list goes with an _in or _notin key, or ${hint}.`);
  }
  if (items.length === 0) throw new TypeError(`Filter key "${key}" has an empty list: ${hint}.`);
  const texts = items.map(String);
  const withComma = texts.find((text) => text.includes(","));
  if (withComma !== undefined) {
    throw new TypeError(
      `Filter key "${key}": the item ${JSON.stringify(withComma)} holds a comma, which separates list items in a URL; ${hint}.`,
    );
  }
  return texts.join(",");
}

/**
 * The `_isnull` parameter a `null` value stands for. A URL cannot carry a typed null (`x=null` is
 * the string "null"), so only equality with null has a meaning; dropping the key instead would
 * widen the query without a word.
 */
function nullParam(key: string): [string, string] {
  const suffix = SUFFIX.exec(key)?.[1];
  if (suffix === undefined || suffix === "eq") return [`${key.replace(/_eq$/, "")}_isnull`, "true"];
  if (suffix === "ne") return [`${key.slice(0, -"_ne".length)}_isnull`, "false"];
  throw new TypeError(
    `Filter key "${key}" cannot take null: use "${key.slice(0, -suffix.length - 1)}: null" (or _ne: null), or an expression string.`,
  );
}

const list = (value: string | readonly string[] | undefined) =>
  value === undefined ? undefined : typeof value === "string" ? value : value.join(",");

/** The query parameters of a list request. */
export function listParams(query: ListQuery = {}): Record<string, QueryValue> {
  return {
    ...filterParams(query.filter),
    sort: list(query.sort),
    limit: query.limit,
    offset: query.offset,
    cursor: query.cursor ?? undefined,
    select: list(query.select),
    exclude: list(query.exclude),
    total: query.total ? "true" : undefined,
  };
}

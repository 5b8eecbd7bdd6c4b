import type { OrderByContext, SortKey } from "../../core/query/ast";
import { jsonPathLiteral } from "./compile-sql";

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

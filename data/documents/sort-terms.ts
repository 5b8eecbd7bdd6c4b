import type { SortKey } from "../../core/query";
import { type OrderByTerm, orderByTerms } from "../query";

/** One ORDER BY expression and its direction (the filter language's own term). */
export type SortTerm = OrderByTerm;

/** Sort names that mean a document's own columns rather than fields of its data. */
export const META_COLUMNS = { id: "d.id", created_at: "d.created_at", updated_at: "d.updated_at" } as const;

/**
 * The ORDER BY expressions of a list's sort, one by one, so that a keyset cursor can compare a row
 * with the last row of the previous page term by term: the filter language's `orderByTerms` over
 * the documents table (`d.data`, with its id and timestamps as meta columns).
 */
export function sortTerms(keys: readonly SortKey[], column = "d.data"): SortTerm[] {
  return orderByTerms(keys, { column, metaColumns: META_COLUMNS });
}

/** `ORDER BY` text of the terms, ending with the id so the order is total and stable. */
export function orderByClause(terms: readonly SortTerm[]): string {
  return [...terms.map((term) => `${term.sql} ${term.desc ? "DESC" : "ASC"}`), "d.id ASC"].join(", ");
}

/**
 * The keyset condition "this row sorts after the cursor row", nested so that each cursor value is
 * bound at most twice: `t0 > ?0 OR (t0 IS ?0 AND (t1 > ?1 OR (t1 IS ?1 AND … d.id > ?id)))`.
 * `IS` makes two missing values equal. A value is only NULL when its rank term is 0 (null or
 * missing), where ranks already decide, so `>` against NULL being unknown is what is wanted.
 */
export function keysetCondition(terms: readonly SortTerm[], values: readonly unknown[], id: string) {
  let sql = "d.id > ?";
  let params: unknown[] = [id];
  for (let i = terms.length - 1; i >= 0; i--) {
    const term = terms[i] as SortTerm;
    const value = values[i];
    sql = `(${term.sql} ${term.desc ? "<" : ">"} ? OR (${term.sql} IS ? AND ${sql}))`;
    params = [value, value, ...params];
  }
  return { sql, params };
}

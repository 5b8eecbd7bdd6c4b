import { z } from "zod";
import { DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE } from "../../core/documents/limits";
import { ApiError } from "../../core/errors";
import { describeIssues } from "../../core/issues";
import { and, type FilterNode, parseListFilter, parseSort, type SortKey } from "../../core/query";
import { compileFilter } from "../query";
import type { CollectionAccess } from "./access";
import type { PlannedRead } from "./collection-read";
import { decodeCursor, encodeCursor } from "./cursor";
import { type DocumentRow, type StoredDocument, toDocument } from "./document";
import { dataExpression, parseProjection, selectPaths } from "./projection";
import { keysetCondition, orderByClause, type SortTerm, sortTerms } from "./sort-terms";

/** D1 refuses a statement with more than 100 bound parameters. */
const MAX_STATEMENT_PARAMS = 100;
/** The share of that a collection rule may use; the user's filter gets what is left. */
const MAX_RULE_PARAMS = 30;

/** A list request, parsed from its query string. */
export interface ListOptions {
  filter: FilterNode;
  sort: SortKey[];
  limit: number;
  offset: number;
  cursor: string | null;
  select: string[][] | null;
  exclude: string[][] | null;
  total: boolean;
}

/** One page of a list. */
export interface ListPage {
  items: StoredDocument[];
  next_cursor: string | null;
  total?: number;
}

/** An integer query parameter from `min` to `max`; absent or empty means `fallback`. */
function intParam(name: string, fallback: number, min: number, max: number) {
  const error = `${name} must be an integer from ${min} to ${max}.`;
  return z
    .union([z.literal(""), z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error })], {
      error,
    })
    .optional()
    .transform((value) => (value === undefined || value === "" ? fallback : value));
}

/**
 * The query parameters of a list that are not field filters (every other parameter filters on a
 * field: docs/filter-language.md). Declared once, for `GET …/documents` and its OpenAPI entry.
 */
export const ListQuery = z.looseObject({
  filter: z.string().optional().meta({ description: "A filter expression (docs/filter-language.md)." }),
  sort: z.string().optional().meta({ description: "Comma-separated fields, `-` for descending: `-created_at,name`." }),
  order: z
    .enum(["asc", "desc"], { error: (issue) => `order must be asc or desc, got ${JSON.stringify(issue.input)}.` })
    .optional()
    .meta({ description: "The direction of a `sort` without signs." }),
  limit: intParam("limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
  offset: intParam("offset", 0, 0, MAX_OFFSET),
  cursor: z.string().optional().meta({ description: "`next_cursor` of the previous page (not with `offset`)." }),
  select: z.string().optional().meta({ description: "Comma-separated data fields to return." }),
  exclude: z.string().optional().meta({ description: "Comma-separated data fields to leave out." }),
  total: z.string().optional().meta({ description: "`true` or `1` adds `total`, the count of every match." }),
});

/**
 * Reads a list's query string: the filter (`filter=` expression AND parameter filters), `sort`
 * (+ `order`, as the Cocobase SDK sends it), `limit`, `offset`, `cursor`, `select`, `exclude`, `total`.
 *
 * @throws {ApiError} `invalid_filter` for the filter or the sort; `invalid_request` for the rest
 * (`details.issues`, as for any invalid query).
 */
export function parseListOptions(params: URLSearchParams): ListOptions {
  const parsed = ListQuery.safeParse(firstValues(params));
  if (!parsed.success) {
    throw new ApiError("invalid_request", "Invalid query parameters.", { issues: describeIssues(parsed.error) });
  }
  const { order, limit, offset, total } = parsed.data;
  const cursor = parsed.data.cursor || null;
  if (cursor !== null && offset > 0) {
    throw new ApiError(
      "invalid_request",
      "Use either cursor or offset, not both: the cursor already says where the page starts.",
    );
  }
  return {
    filter: parseListFilter(params),
    sort: parseSort(parsed.data.sort ?? "", order ?? "asc"),
    limit,
    offset,
    cursor,
    select: parseProjection(params, "select"),
    exclude: parseProjection(params, "exclude"),
    total: total === "true" || total === "1",
  };
}

/** Each parameter's first value, as `URLSearchParams.get` (and Hono's `c.req.query()`) read it. */
function firstValues(params: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of params) values[name] ??= value;
  return values;
}

/**
 * The WHERE clause every read of a collection shares: the project and collection, the caller's
 * list rule (in SQL, so pages and counts only ever see allowed documents) and the filter.
 * `reserved` is the number of parameters the caller still needs for itself.
 */
export function collectionWhere(
  projectId: string,
  collection: string,
  access: CollectionAccess,
  filter: FilterNode,
  reserved = 0,
) {
  const rule = compileFilter(access.listCondition(), {
    column: "d.data",
    auth: access.auth,
    maxParams: MAX_RULE_PARAMS,
  });
  const budget = MAX_STATEMENT_PARAMS - 2 - reserved - rule.params.length;
  const user = compileFilter(and(filter), { column: "d.data", auth: access.auth, maxParams: Math.min(60, budget) });
  return {
    sql: `d.project_id = ? AND d.collection = ? AND ${rule.sql} AND ${user.sql}`,
    params: [projectId, collection, ...rule.params, ...user.params],
  };
}

/** Serializes the sort for the cursor, so a cursor is refused under another sort. */
const sortSignature = (sort: readonly SortKey[]) =>
  sort.map((key) => (key.desc ? "-" : "") + key.path.join(".")).join(",");

/**
 * The SQL of one page (exposed for tests that check the query plan): the filter and rule in the
 * WHERE clause, the keyset condition after the cursor, the sort and LIMIT/OFFSET.
 */
export function listStatement(projectId: string, collection: string, access: CollectionAccess, options: ListOptions) {
  const terms = sortTerms(options.sort);
  const signature = sortSignature(options.sort);
  const cursor = options.cursor ? decodeCursor(options.cursor, signature, terms.length) : null;
  // Keyset: each cursor value twice plus the id; then LIMIT and OFFSET.
  const reserved = terms.length * 2 + 1 + 2;
  const where = collectionWhere(projectId, collection, access, options.filter, reserved);
  const keyset = cursor ? keysetCondition(terms, cursor.values, cursor.id) : null;
  const columns = [
    "d.id",
    `${dataExpression(options.exclude)} AS data`,
    "d.version",
    "d.created_at",
    "d.updated_at",
    ...terms.map((term: SortTerm, i) => `${term.sql} AS k${i}`),
  ];
  return {
    sql: `SELECT ${columns.join(", ")} FROM documents d
       WHERE ${where.sql}${keyset ? ` AND ${keyset.sql}` : ""}
       ORDER BY ${orderByClause(terms)} LIMIT ? OFFSET ?`,
    params: [...where.params, ...(keyset?.params ?? []), options.limit + 1, options.offset],
    where,
    terms,
    signature,
  };
}

/**
 * One page of documents, planned (for a batch, ./collection-read.ts). With `total`, the count runs
 * in the same batch, so it describes the same snapshot as the page.
 */
export function planList(
  db: D1Database,
  projectId: string,
  collection: string,
  access: CollectionAccess,
  options: ListOptions,
): PlannedRead<ListPage> {
  const { sql, params, where, terms, signature } = listStatement(projectId, collection, access, options);
  const statements = [db.prepare(sql).bind(...params)];
  if (options.total) {
    statements.push(db.prepare(`SELECT count(*) AS n FROM documents d WHERE ${where.sql}`).bind(...where.params));
  }
  return {
    statements,
    finish([rows, count]) {
      const results = (rows?.results ?? []) as (DocumentRow & Record<string, unknown>)[];
      const pageRows = results.slice(0, options.limit);
      const items = pageRows.map((row) => {
        const document = toDocument(row);
        return options.select ? { ...document, data: selectPaths(document.data, options.select) } : document;
      });
      const last = pageRows.at(-1);
      const next_cursor =
        results.length > options.limit && last
          ? encodeCursor({ sort: signature, values: terms.map((_, i) => last[`k${i}`]), id: last.id })
          : null;
      const result: ListPage = { items, next_cursor };
      if (count) result.total = (count.results[0] as { n: number }).n;
      return result;
    },
  };
}

/** One page of documents (see {@link planList}). */
export async function listDocuments(
  db: D1Database,
  projectId: string,
  collection: string,
  access: CollectionAccess,
  options: ListOptions,
): Promise<ListPage> {
  const plan = planList(db, projectId, collection, access, options);
  return plan.finish(await db.batch(plan.statements), access);
}

/** How many documents match the filter (and the caller's list rule). */
export function planCount(
  db: D1Database,
  projectId: string,
  collection: string,
  access: CollectionAccess,
  filter: FilterNode,
): PlannedRead<number> {
  const where = collectionWhere(projectId, collection, access, filter);
  return {
    statements: [db.prepare(`SELECT count(*) AS n FROM documents d WHERE ${where.sql}`).bind(...where.params)],
    finish: ([result]) => (result?.results[0] as { n: number } | undefined)?.n ?? 0,
  };
}

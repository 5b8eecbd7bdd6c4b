import { MAX_AGGREGATE_GROUPS } from "../../core/documents/limits";
import type { AggregateOperation, AggregateResult } from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import { FIELD_SEGMENT, type FilterNode, MAX_PATH_SEGMENTS, parseListFilter } from "../../core/query";
import { compileOrderBy } from "../query";
import { jsonPathLiteral } from "../query/compile-sql";
import type { CollectionAccess } from "./access";
import type { PlannedRead } from "./collection-read";
import { collectionWhere } from "./list-query";

export const AGGREGATE_OPERATIONS = ["count", "sum", "avg", "min", "max"] as const satisfies AggregateOperation[];

/** Most fields in one `group_by`. */
export const MAX_GROUP_BY = 3;

/** Query parameters of the aggregate endpoint that are not filters. */
const AGGREGATE_PARAMS = ["operation", "field", "group_by"];

export interface AggregateRequest {
  operation: AggregateOperation;
  field: string[] | null;
  groupBy: string[][];
  filter: FilterNode;
}

function parsePath(text: string, param: string): string[] {
  const path = text.trim().split(".");
  if (path.length > MAX_PATH_SEGMENTS || !path.every((segment) => FIELD_SEGMENT.test(segment))) {
    throw new ApiError("invalid_request", `Invalid ${param} ${JSON.stringify(text)}: use a dotted field path.`, {
      param,
    });
  }
  return path;
}

/**
 * Reads `operation`, `field`, `group_by` and the filter (everything else, as in a list; `limit`
 * and `offset` are ignored, which code written for the Cocobase SDK relies on).
 *
 * @throws {ApiError} `invalid_request` / `invalid_filter`.
 */
export function parseAggregateRequest(params: URLSearchParams): AggregateRequest {
  const operation = params.get("operation") ?? "count";
  if (!(AGGREGATE_OPERATIONS as readonly string[]).includes(operation)) {
    throw new ApiError(
      "invalid_request",
      `operation must be one of ${AGGREGATE_OPERATIONS.join(", ")}, got ${JSON.stringify(operation)}.`,
      {
        param: "operation",
      },
    );
  }
  const fieldText = params.get("field");
  if (!fieldText && operation !== "count") {
    throw new ApiError(
      "invalid_request",
      `operation ${operation} needs a field: ?operation=${operation}&field=price.`,
      { param: "field" },
    );
  }
  const groupBy = (params.get("group_by") ?? "")
    .split(",")
    .filter((text) => text.trim() !== "")
    .map((text) => parsePath(text, "group_by"));
  if (groupBy.length > MAX_GROUP_BY) {
    throw new ApiError("invalid_request", `group_by takes at most ${MAX_GROUP_BY} fields.`, { param: "group_by" });
  }
  const filterParams = new URLSearchParams(params);
  for (const name of AGGREGATE_PARAMS) filterParams.delete(name);
  return {
    operation: operation as AggregateOperation,
    field: fieldText ? parsePath(fieldText, "field") : null,
    groupBy,
    filter: parseListFilter(filterParams),
  };
}

/** The aggregate expression over `d.data`. Non-numbers are ignored by sum and avg. */
function aggregateSql(operation: AggregateOperation, field: string[] | null): string {
  if (!field) return "count(*)";
  const args = `d.data, ${jsonPathLiteral(field)}`;
  switch (operation) {
    case "count":
      return `count(CASE WHEN IFNULL(json_type(${args}), 'null') <> 'null' THEN 1 END)`;
    case "sum":
      return `coalesce(sum(CASE WHEN json_type(${args}) IN ('integer', 'real') THEN json_extract(${args}) END), 0)`;
    case "avg":
      return `avg(CASE WHEN json_type(${args}) IN ('integer', 'real') THEN json_extract(${args}) END)`;
    case "min":
    case "max":
      // Numbers and strings; when both occur, numbers sort first (SQLite's order).
      return `${operation}(CASE WHEN json_type(${args}) IN ('integer', 'real', 'text') THEN json_extract(${args}) END)`;
  }
}

/**
 * One aggregate in SQL under the caller's list rule, planned (./collection-read.ts). With `group_by`, one row per distinct
 * combination of the fields' JSON values (a missing field groups with null), at most
 * `MAX_AGGREGATE_GROUPS`, ordered by key as a list sorted by the group_by fields would be.
 */
export function planAggregate(
  db: D1Database,
  projectId: string,
  collection: string,
  access: CollectionAccess,
  request: AggregateRequest,
): PlannedRead<AggregateResult> {
  const where = collectionWhere(projectId, collection, access, request.filter, 1);
  const value = aggregateSql(request.operation, request.field);
  const base: AggregateResult = {
    collection,
    operation: request.operation,
    field: request.field?.join(".") ?? null,
  };
  if (request.groupBy.length === 0) {
    return {
      statements: [
        db
          .prepare(`SELECT ${value} AS result, count(*) AS n FROM documents d WHERE ${where.sql}`)
          .bind(...where.params),
      ],
      finish([outcome]) {
        const row = outcome?.results[0] as { result: number | string | null; n: number } | undefined;
        return { ...base, result: row?.result ?? null, count: row?.n ?? 0 };
      },
    };
  }
  const keys = request.groupBy.map((path, i) => `coalesce(d.data -> ${jsonPathLiteral(path)}, 'null') AS g${i}`);
  const names = request.groupBy.map((_, i) => `g${i}`).join(", ");
  // Groups come in the order a list sorted by the group_by fields has (the filter language's typed
  // order: null < false < true < numbers < strings < …, numbers numerically), so `compareForSort`
  // on the keys agrees. Every term depends on the group's key alone; the key's JSON text breaks the
  // remaining ties (1 and 1.0 are distinct keys of equal value).
  const order = compileOrderBy(
    request.groupBy.map((path) => ({ path, desc: false })),
    { column: "d.data" },
  );
  const statement = db
    .prepare(
      `SELECT ${keys.join(", ")}, ${value} AS result, count(*) AS n FROM documents d WHERE ${where.sql}
       GROUP BY ${names} ORDER BY ${order}, ${names} LIMIT ?`,
    )
    .bind(...where.params, MAX_AGGREGATE_GROUPS + 1);
  const labels = request.groupBy.map((path) => path.join("."));
  return {
    statements: [statement],
    finish([outcome]) {
      const results = (outcome?.results ?? []) as Record<string, unknown>[];
      const groups = results.slice(0, MAX_AGGREGATE_GROUPS).map((row) => ({
        key: Object.fromEntries(labels.map((label, i) => [label, JSON.parse(row[`g${i}`] as string)])),
        result: row.result as number | string | null,
        count: row.n as number,
      }));
      return { ...base, group_by: labels, groups, truncated: results.length > MAX_AGGREGATE_GROUPS };
    },
  };
}

import type { FilterNode, QueryParamsInput } from "./ast";

/**
 * Parses Cocobase-style filter parameters (`age_gte=18`, `[or]a=1`, `a__or__b_contains=x`),
 * ignoring `RESERVED_LIST_PARAMS`.
 *
 * @throws {ApiError} `invalid_filter` with `details.param` and `details.position`.
 */
export function parseQueryParams(params: QueryParamsInput): FilterNode {
  void params;
  throw new Error("parseQueryParams: not implemented yet");
}

/** The filter of a list request: the `filter=` expression AND the parameter filters. */
export function parseListFilter(params: QueryParamsInput): FilterNode {
  void params;
  throw new Error("parseListFilter: not implemented yet");
}

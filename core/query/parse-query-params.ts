import { ApiError } from "../errors.js";
import type { CompareOp, FieldRef, FilterNode, Operand, QueryParamsInput, Scalar } from "./ast.js";
import {
  and,
  FIELD_SEGMENT,
  MAX_FILTER_LENGTH,
  MAX_FILTER_TERMS,
  MAX_IN_LIST,
  MAX_PATH_SEGMENTS,
  not,
  or,
  RESERVED_LIST_PARAMS,
} from "./ast.js";
import { filterError } from "./filter-error.js";
import { parseExpressionCounted } from "./parse-expression.js";

/*
 * Key grammar (the Cocobase SDK's query parameters, so code written for that hosted backend keeps
 * working):  [ "[or]" | "[or:" group "]" ] field ( "__or__" field )* [ "_" op ]
 * op := eq | ne | gt | gte | lt | lte | contains | startswith | endswith | in | notin | isnull
 */

type ParamOp =
  | "eq"
  | "ne"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "contains"
  | "startswith"
  | "endswith"
  | "in"
  | "notin"
  | "isnull";

/** Suffixes in matching order: the longest that ends the key wins (`_notin` before `_in`). */
const SUFFIXES: readonly ParamOp[] = [
  "startswith",
  "endswith",
  "contains",
  "isnull",
  "notin",
  "gte",
  "lte",
  "eq",
  "ne",
  "gt",
  "lt",
  "in",
];

const RESERVED = new Set(RESERVED_LIST_PARAMS);
const GROUP = /^\[or(?::([A-Za-z0-9_-]{1,64}))?\]/;
const NUMERIC = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * Parses filter parameters in the Cocobase SDK's syntax to the AST. Plain keys are ANDed; `[or]key=v` keys form
 * one OR group; each `[or:name]` prefix forms its own OR group; `a__or__b_op=v` is `a op v OR
 * b op v`. Reserved list parameters (`RESERVED_LIST_PARAMS`, including `filter`) are skipped.
 *
 * Values from a URL are text, so a value is compared against what is stored: `age=18` matches
 * the number 18 and the string "18"; `published=true` matches the boolean and the string "true".
 * A plain object may carry JSON-typed values instead (realtime subscriptions): `{ published:
 * true }` then matches only the boolean, and `{ tags_in: ["a", "b"] }` is a list.
 *
 * @example
 * parseQueryParams(new URLSearchParams("status=active&age_gte=18&[or:p]price_lt=50&[or:p]on_sale=true"));
 *
 * @throws {ApiError} `invalid_filter` with `details.param` (the key) and `details.position`.
 */
export function parseQueryParams(params: QueryParamsInput): FilterNode {
  return parseParamsCounted(params, 0).node;
}

/**
 * The filter of a list request: every `filter=` expression AND the parameter filters, with the
 * limits counted over both.
 *
 * @example
 * parseListFilter(new URL(c.req.url).searchParams);
 */
export function parseListFilter(params: QueryParamsInput): FilterNode {
  const nodes: FilterNode[] = [];
  let terms = 0;
  for (const [key, value] of entries(params)) {
    if (key !== "filter") continue;
    if (typeof value !== "string") throw filterError("filter must be an expression string", 0, { param: key });
    try {
      const parsed = parseExpressionCounted(value);
      nodes.push(parsed.node);
      terms += parsed.terms;
    } catch (error) {
      // Say which parameter the position counts in.
      if (!(error instanceof ApiError)) throw error;
      throw new ApiError(error.code, error.message, { param: "filter", ...(error.details as object) });
    }
  }
  const fromParams = parseParamsCounted(params, terms);
  return and(...nodes, fromParams.node);
}

function* entries(params: QueryParamsInput): Generator<[string, unknown]> {
  if (params instanceof URLSearchParams) {
    yield* params.entries();
    return;
  }
  for (const key of Object.keys(params)) yield [key, params[key]];
}

function parseParamsCounted(params: QueryParamsInput, termsBefore: number): { node: FilterNode; terms: number } {
  const plain: FilterNode[] = [];
  const groups = new Map<string, FilterNode[]>();
  let terms = termsBefore;
  let length = 0;
  for (const [key, value] of entries(params)) {
    if (RESERVED.has(key)) continue;
    length += key.length + (typeof value === "string" ? value.length : 0);
    if (length > MAX_FILTER_LENGTH) {
      throw filterError(`The filter parameters are longer than ${MAX_FILTER_LENGTH} characters`, 0, {
        param: key,
        max_length: MAX_FILTER_LENGTH,
      });
    }
    const parsed = parseParam(key, value);
    terms += parsed.terms;
    if (terms > MAX_FILTER_TERMS) {
      throw filterError(`The filter has more than ${MAX_FILTER_TERMS} comparisons`, 0, {
        param: key,
        max_terms: MAX_FILTER_TERMS,
      });
    }
    if (parsed.group === null) plain.push(parsed.node);
    else {
      const group = groups.get(parsed.group);
      if (group) group.push(parsed.node);
      else groups.set(parsed.group, [parsed.node]);
    }
  }
  const ored = [...groups.values()].map((nodes) => or(...nodes));
  return { node: and(...plain, ...ored), terms };
}

function parseParam(key: string, value: unknown): { group: string | null; node: FilterNode; terms: number } {
  let rest = key;
  let offset = 0;
  let group: string | null = null;
  if (key.startsWith("[")) {
    const match = GROUP.exec(key);
    if (!match) throw filterError("Expected [or] or [or:name] (name: letters, digits, _ and -)", 0, { param: key });
    group = match[1] ?? "";
    offset = match[0].length;
    rest = key.slice(offset);
  }
  let op: ParamOp = "eq";
  for (const suffix of SUFFIXES) {
    if (rest.length > suffix.length + 1 && rest.endsWith(`_${suffix}`)) {
      op = suffix;
      rest = rest.slice(0, -(suffix.length + 1));
      break;
    }
  }
  const fields: FieldRef[] = [];
  let position = offset;
  for (const name of rest.split("__or__")) {
    fields.push(fieldOf(name, key, position));
    position += name.length + "__or__".length;
  }
  const build = (field: FieldRef) => condition(field, op, value, key, offset);
  return { group, node: or(...fields.map(build)), terms: fields.length };
}

function fieldOf(name: string, key: string, position: number): FieldRef {
  const path = name.split(".");
  if (path.length > MAX_PATH_SEGMENTS) {
    throw filterError(`A field path may have at most ${MAX_PATH_SEGMENTS} segments`, position, { param: key });
  }
  let at = position;
  for (const segment of path) {
    if (!FIELD_SEGMENT.test(segment)) {
      throw filterError(
        `Invalid field name ${JSON.stringify(segment)}: use letters, digits and _ (not starting with a digit), dots between segments`,
        at,
        { param: key },
      );
    }
    at += segment.length + 1;
  }
  return { kind: "field", root: "doc", path };
}

/** One field, one operator, one value (text from a URL, or JSON from a realtime subscription). */
function condition(field: FieldRef, op: ParamOp, value: unknown, key: string, keyOffset: number): FilterNode {
  switch (op) {
    case "isnull": {
      const flag = typeof value === "boolean" ? value : typeof value === "string" ? value.toLowerCase() : value;
      if (flag !== true && flag !== false && flag !== "true" && flag !== "false") {
        throw filterError("_isnull takes true or false", 0, { param: key, key_offset: keyOffset });
      }
      const isNull = compare("eq", field, null);
      return flag === true || flag === "true" ? isNull : not(isNull);
    }
    case "in":
    case "notin": {
      const items = listOf(value, key);
      const node = compare("in", field, items);
      return op === "in" ? node : not(node);
    }
    case "ne":
      return not(anyOf("eq", field, candidates(value, key, true)));
    case "eq":
      return anyOf("eq", field, candidates(value, key, true));
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      return anyOf(op, field, candidates(value, key, false));
    case "contains":
      return anyOf("contains", field, candidates(value, key, true));
    case "startswith":
    case "endswith":
      return anyOf(op, field, candidates(value, key, false));
  }
}

function compare(op: CompareOp, field: FieldRef, value: Scalar | Scalar[]): FilterNode {
  const right: Operand = { kind: "literal", value };
  return { kind: "compare", op, left: field, right };
}

function anyOf(op: CompareOp, field: FieldRef, values: readonly Scalar[]): FilterNode {
  return or(...values.map((value) => compare(op, field, value)));
}

/**
 * What a value may stand for. URL text is ambiguous, so "18" stands for the string and the number
 * and "true" for the string and the boolean; a JSON value stands only for itself. Booleans are
 * only candidates where they can match (equality and `contains`).
 */
function candidates(value: unknown, key: string, withBooleans: boolean): Scalar[] {
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    if (typeof value === "number" && !Number.isFinite(value))
      throw filterError("Numbers must be finite", 0, { param: key });
    return [value];
  }
  if (typeof value !== "string") {
    throw filterError("A filter value must be a string, number, boolean or null (a list only for _in and _notin)", 0, {
      param: key,
    });
  }
  return textCandidates(value, key, withBooleans);
}

function textCandidates(text: string, key: string, withBooleans: boolean): Scalar[] {
  if (!text.isWellFormed()) throw filterError("The value contains an unpaired surrogate", 0, { param: key });
  const out: Scalar[] = [text];
  if (NUMERIC.test(text)) {
    const number = Number(text);
    if (Number.isFinite(number)) out.push(number);
  } else if (withBooleans && (text === "true" || text === "false")) {
    out.push(text === "true");
  }
  return out;
}

/** `_in` / `_notin` values: comma-separated text (each item as in `candidates`) or a JSON array. */
function listOf(value: unknown, key: string): Scalar[] {
  const count = typeof value === "string" ? value.split(",").length : Array.isArray(value) ? value.length : 1;
  if (count > MAX_IN_LIST) {
    throw filterError(`A list may hold at most ${MAX_IN_LIST} values`, 0, { param: key, max_in_list: MAX_IN_LIST });
  }
  if (typeof value === "string") return value.split(",").flatMap((item) => textCandidates(item, key, true));
  if (Array.isArray(value)) {
    return value.map((item) => {
      if (item !== null && typeof item === "object") throw filterError("List items must be scalars", 0, { param: key });
      if (typeof item === "number" && !Number.isFinite(item))
        throw filterError("Numbers must be finite", 0, { param: key });
      return item as Scalar;
    });
  }
  return candidates(value, key, true);
}

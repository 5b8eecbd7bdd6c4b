/**
 * The one filter language of Flarebase, as data. Both surface syntaxes (query parameters such as
 * `age_gte=18`, and expression strings such as `age >= 18 && status = "active"`) parse to this
 * AST; both backends (the SQL compiler for D1 and the in-memory matcher for watchers) read it.
 * Security rules are expressions in the same language, with explicit roots (`doc`, `data`,
 * `auth`). The semantics are written down once, in docs/filter-language.md.
 *
 * Public API of worker/query (import from "./query.js" or "../query"):
 *
 * - `parseExpression(text: string, options?: ParseOptions): FilterNode`
 *   an expression string; `scope: "filter"` (default) reads bare names as `doc.<path>`,
 *   `scope: "rule"` requires an explicit root.
 * - `parseRule(text: string): FilterNode` = `parseExpression(text, { scope: "rule" })`.
 * - `parseQueryParams(params: QueryParamsInput): FilterNode`
 *   keys in the syntax of the Cocobase SDK (a hosted backend whose client code Flarebase serves
 *   too): `age_gte=18`, `[or]…`, `[or:g]…`, `a__or__b_contains=x`; ignores
 *   `RESERVED_LIST_PARAMS` (including `filter`).
 * - `parseListFilter(params: QueryParamsInput): FilterNode`
 *   what a list endpoint wants: the `filter=` expression AND the parameter filters.
 * - `matches(node: FilterNode, scope: MatchScope): boolean` (backend 2, in memory).
 * - `compileFilter(node: FilterNode, ctx: CompileContext): SqlFragment` (backend 1, D1/SQLite).
 * - `parseSort(spec: string, defaultOrder?: "asc" | "desc"): SortKey[]`,
 *   `compileOrderBy(keys: SortKey[], ctx: OrderByContext): string`,
 *   `orderByTerms(keys: SortKey[], ctx: OrderByContext): OrderByTerm[]` (the same, term by term),
 *   `compareForSort(a: unknown, b: unknown, keys: SortKey[]): number` (same order in memory).
 * - `authValues(auth: AuthContext | null): AuthValues` (what `auth.*` means in a rule).
 * - `formatFilter(node: FilterNode, scope?: "filter" | "rule"): string` (AST back to text).
 * - `jsonPathLiteral(path: readonly string[]): string` (`'$.a.b'` from validated segments).
 * - `and(...nodes)`, `or(...nodes)`, `not(node)`, `TRUE`, `FALSE`: combine ASTs.
 *
 * Every parser throws `ApiError("invalid_filter", message, { position, ... })` on bad input.
 */

/** Where a field reference points. `doc`: the stored document's data; `data`: the incoming data of
 * a write; `auth`: the caller (see `AuthValues`). */
export type Root = "doc" | "data" | "auth";

/** The JSON scalars a literal can hold. */
export type Scalar = string | number | boolean | null;

/** A literal: a scalar, or an array of scalars (only as the right side of `in`). */
export type Literal = Scalar | readonly Scalar[];

/** A reference to a value: `{ root: "doc", path: ["profile", "city"] }` is `doc.profile.city`.
 * Every path segment matches `FIELD_SEGMENT` (validated by the parsers). An empty path is the
 * root object itself. */
export interface FieldRef {
  readonly kind: "field";
  readonly root: Root;
  readonly path: readonly string[];
}

export interface LiteralValue {
  readonly kind: "literal";
  readonly value: Literal;
}

/**
 * String concatenation, `"users/" + auth.id + "/"`: the parts joined when every part is a
 * well-formed string, otherwise null (so a rule over a missing `auth.id` never matches). Parts
 * are fields and string literals only.
 */
export interface ConcatValue {
  readonly kind: "concat";
  readonly parts: readonly (FieldRef | LiteralValue)[];
}

export type Operand = FieldRef | LiteralValue | ConcatValue;

/**
 * The comparison operators of the AST. Negated forms of the surface syntax (`!=`, `not in`,
 * `_ne`, `_notin`, `_isnull=false`) are parsed to `not` around the positive form, so both backends
 * implement each operator once. `isnull` is `eq` with a `null` literal.
 */
export type CompareOp = "eq" | "lt" | "lte" | "gt" | "gte" | "in" | "contains" | "startswith" | "endswith";

export interface CompareNode {
  readonly kind: "compare";
  readonly op: CompareOp;
  readonly left: Operand;
  readonly right: Operand;
}

export interface AndNode {
  readonly kind: "and";
  /** Empty means true. */
  readonly children: readonly FilterNode[];
}

export interface OrNode {
  readonly kind: "or";
  /** Empty means false. */
  readonly children: readonly FilterNode[];
}

export interface NotNode {
  readonly kind: "not";
  readonly child: FilterNode;
}

/** `true` / `false` as a whole condition (e.g. a rule that allows everyone). */
export interface ConstNode {
  readonly kind: "const";
  readonly value: boolean;
}

export type FilterNode = CompareNode | AndNode | OrNode | NotNode | ConstNode;

/** What `auth.*` resolves to. `auth.id` is null for a bare API key (no end user). */
export interface AuthValues {
  readonly id: string | null;
  readonly role: string | null;
  /** "public" | "secret" | "user", or null when there is no caller. */
  readonly kind: string | null;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Inputs of the in-memory matcher. `doc`/`data` are plain JSON values (undefined = absent). */
export interface MatchScope {
  readonly doc?: unknown;
  readonly data?: unknown;
  readonly auth?: AuthValues | null;
}

/** Inputs of the SQL compiler. */
export interface CompileContext {
  /**
   * The SQL expression of the JSON column holding `doc`, e.g. `"d.data"`. Trusted text from the
   * caller (never user input); it must look like `alias.column` or `column`.
   */
  readonly column: string;
  /** `auth.*` operands are constants for one request: resolved here, at compile time. */
  readonly auth?: AuthValues | null;
  /** `data.*` operands (incoming write data), also constants at compile time. */
  readonly data?: unknown;
  /** Upper bound on bound parameters this fragment may use (D1 allows 100 per statement).
   * Default `MAX_SQL_PARAMS`. */
  readonly maxParams?: number;
}

/** A parameterized SQL boolean expression, always 0 or 1 (never SQL NULL), safe under `NOT`. */
export interface SqlFragment {
  readonly sql: string;
  readonly params: unknown[];
}

/** One sort key: a `doc` path, ascending unless `desc`. */
export interface SortKey {
  readonly path: readonly string[];
  readonly desc: boolean;
}

export interface OrderByContext {
  /** As in `CompileContext.column`. */
  readonly column: string;
  /**
   * Sort names that mean a table column rather than a document field, e.g.
   * `{ created_at: "d.created_at", id: "d.id" }` (trusted SQL from the caller).
   */
  readonly metaColumns?: Readonly<Record<string, string>>;
}

/** What `parseQueryParams` accepts: a URL's search params, or a plain object (realtime
 * subscriptions send JSON-typed values: `{ "published": true }`, `{ "tags_in": ["a", "b"] }`). */
export type QueryParamsInput = URLSearchParams | Readonly<Record<string, unknown>>;

/** Options of `parseExpression`. */
export interface ParseOptions {
  /** `"filter"` (default): every name is a path in the document (`age`, `profile.city`).
   * `"rule"`: the first segment must be a root (`doc.owner`, `data.title`, `auth.id`). */
  readonly scope?: "filter" | "rule";
  /** In the `"rule"` scope, the root names a rule may use and the root each one means. Default
   * `{ doc: "doc", data: "data", auth: "auth" }`; bucket rules use `{ file: "doc", auth: "auth" }`. */
  readonly roots?: Readonly<Record<string, Root>>;
}

/** A valid field segment. Anything else in a field name is rejected with `invalid_filter`. */
export const FIELD_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest accepted filter or rule text, in characters. */
export const MAX_FILTER_LENGTH = 4096;
/** Deepest nesting of parentheses / `not` / `and`-`or` levels. */
export const MAX_FILTER_DEPTH = 16;
/** Most comparisons in one filter (expression plus query parameters). */
export const MAX_FILTER_TERMS = 64;
/** Most items in one `in` list. */
export const MAX_IN_LIST = 100;
/** Most parts in one `+` concatenation. */
export const MAX_CONCAT_PARTS = 8;
/** Most segments in one field path. */
export const MAX_PATH_SEGMENTS = 10;
/** Default bound-parameter budget of one compiled fragment (D1 caps a statement at 100). */
export const MAX_SQL_PARAMS = 60;
/** Most keys in one sort spec. */
export const MAX_SORT_KEYS = 5;

/**
 * Query-parameter names of the list endpoint that are not filters. `filter` holds an expression;
 * the rest are paging/projection options (`order` and `populate` are there for code written for
 * the Cocobase SDK).
 */
export const RESERVED_LIST_PARAMS: readonly string[] = [
  "filter",
  "sort",
  "order",
  "limit",
  "offset",
  "cursor",
  "select",
  "exclude",
  "total",
  "populate",
];

/** The always-true condition. */
export const TRUE: ConstNode = { kind: "const", value: true };
/** The always-false condition. */
export const FALSE: ConstNode = { kind: "const", value: false };

/** ANDs conditions, dropping `TRUE`s and collapsing single children. */
export function and(...nodes: FilterNode[]): FilterNode {
  const children: FilterNode[] = [];
  for (const node of nodes) {
    if (node.kind === "const" && node.value) continue;
    if (node.kind === "and") children.push(...node.children);
    else children.push(node);
  }
  if (children.length === 0) return TRUE;
  if (children.length === 1) return children[0] as FilterNode;
  return { kind: "and", children };
}

/** ORs conditions, dropping `FALSE`s and collapsing single children. */
export function or(...nodes: FilterNode[]): FilterNode {
  const children: FilterNode[] = [];
  for (const node of nodes) {
    if (node.kind === "const" && !node.value) continue;
    if (node.kind === "or") children.push(...node.children);
    else children.push(node);
  }
  if (children.length === 0) return FALSE;
  if (children.length === 1) return children[0] as FilterNode;
  return { kind: "or", children };
}

/** Negates a condition. */
export function not(node: FilterNode): FilterNode {
  if (node.kind === "const") return node.value ? FALSE : TRUE;
  if (node.kind === "not") return node.child;
  return { kind: "not", child: node };
}

// The filter language: one AST, two parsers and the in-memory matcher (the SQL backend is
// data/query). See ast.ts and docs/filter-language.md.
export * from "./ast.js";
export { ANONYMOUS, type AuthIdentity, authValues, type Caller } from "./auth-values.js";
export { formatFilter } from "./format.js";
export { matches } from "./match.js";
export { parseExpression, parseRule } from "./parse-expression.js";
export { parseListFilter, parseQueryParams } from "./parse-query-params.js";
export { compareForSort, parseSort } from "./sort.js";

// The filter language: one AST, two parsers and the in-memory matcher (the SQL backend is
// data/query). See ast.ts and docs/filter-language.md.
export * from "./ast";
export { ANONYMOUS, type AuthIdentity, authValues, type Caller } from "./auth-values";
export { formatFilter } from "./format";
export { matches } from "./match";
export { parseExpression, parseRule } from "./parse-expression";
export { parseListFilter, parseQueryParams } from "./parse-query-params";
export { compareForSort, parseSort } from "./sort";

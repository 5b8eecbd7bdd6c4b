// The filter language: one AST, two parsers, two backends. See ast.ts and docs/filter-language.md.
export * from "./ast";
export { ANONYMOUS, authValues } from "./auth-values";
export { compileFilter, jsonPathLiteral } from "./compile-sql";
export { formatFilter } from "./format";
export { matches } from "./match";
export { parseExpression, parseRule } from "./parse-expression";
export { parseListFilter, parseQueryParams } from "./parse-query-params";
export { compareForSort, compileOrderBy, type OrderByTerm, orderByTerms, parseSort } from "./sort";

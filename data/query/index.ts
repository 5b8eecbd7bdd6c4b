// The SQL backend of the filter language (core/query holds the AST, parsers and matcher).

export { compileOrderBy, type OrderByTerm, orderByTerms } from "./compile-sort";
export { compileFilter, jsonPathLiteral } from "./compile-sql";

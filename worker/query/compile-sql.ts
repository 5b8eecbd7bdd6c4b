import type { CompileContext, FilterNode, SqlFragment } from "./ast";

/**
 * Compiles a filter or rule to a parameterized SQLite boolean expression over `ctx.column`
 * (backend 1). `auth.*` and `data.*` are resolved from `ctx` at compile time.
 *
 * @throws {ApiError} `invalid_filter` when the fragment would need more than `ctx.maxParams`.
 */
export function compileFilter(node: FilterNode, ctx: CompileContext): SqlFragment {
  void node;
  void ctx;
  throw new Error("compileFilter: not implemented yet");
}

import type { FilterNode, MatchScope } from "./ast";

/** Evaluates a filter or rule in memory (backend 2). Pure; agrees with `compileFilter`. */
export function matches(node: FilterNode, scope: MatchScope): boolean {
  void node;
  void scope;
  throw new Error("matches: not implemented yet");
}

import type { FilterNode, MatchScope, Operand } from "./ast.js";
import { ANONYMOUS } from "./auth-values.js";
import {
  arrayHas,
  concatValues,
  containsValue,
  endsWithValue,
  orderedCompare,
  resolvePath,
  startsWithValue,
  valuesEqual,
} from "./values.js";

/**
 * Evaluates a filter or rule in memory (backend 2): the collection watchers call it for every
 * change, so it is a plain recursive walk with no allocation per call. It agrees with
 * `compileFilter` on every document (tested as a property against real D1).
 *
 * @example
 * matches(parseExpression('age >= 18 && profile.city = "Lagos"'), { doc: { age: 20, profile: { city: "Lagos" } } }); // true
 * matches(parseRule("doc.owner == auth.id"), { doc, auth: authValues(c.get("auth")) });
 */
export function matches(node: FilterNode, scope: MatchScope): boolean {
  switch (node.kind) {
    case "const":
      return node.value;
    case "and":
      for (const child of node.children) if (!matches(child, scope)) return false;
      return true;
    case "or":
      for (const child of node.children) if (matches(child, scope)) return true;
      return false;
    case "not":
      return !matches(node.child, scope);
    case "compare": {
      const left = operandValue(node.left, scope);
      const right = operandValue(node.right, scope);
      switch (node.op) {
        case "eq":
          return valuesEqual(left, right);
        case "lt":
        case "lte":
        case "gt":
        case "gte":
          return orderedCompare(node.op, left, right);
        case "in":
          return arrayHas(right, left);
        case "contains":
          return containsValue(left, right);
        case "startswith":
          return startsWithValue(left, right);
        case "endswith":
          return endsWithValue(left, right);
      }
    }
  }
}

function operandValue(operand: Operand, scope: MatchScope): unknown {
  if (operand.kind === "literal") return operand.value;
  if (operand.kind === "concat") return concatValues(operand.parts.map((part) => operandValue(part, scope)));
  const root = operand.root === "doc" ? scope.doc : operand.root === "data" ? scope.data : (scope.auth ?? ANONYMOUS);
  return resolvePath(root, operand.path);
}

import type { FilterNode, Literal, Operand } from "./ast.js";

const OP_TEXT = {
  eq: "==",
  lt: "<",
  lte: "<=",
  gt: ">",
  gte: ">=",
  in: "in",
  contains: "contains",
  startswith: "startswith",
  endswith: "endswith",
} as const;

/**
 * Writes an AST back as an expression string that `parseExpression` reads to the same AST (for
 * error messages, logs and docs). In the `"filter"` scope `doc` paths are written bare.
 *
 * @example
 * formatFilter(parseQueryParams(new URLSearchParams("age_gte=18"))); // '(age >= "18" || age >= 18)'
 */
export function formatFilter(node: FilterNode, scope: "filter" | "rule" = "filter"): string {
  switch (node.kind) {
    case "const":
      return node.value ? "true" : "false";
    case "and":
    case "or":
      if (node.children.length === 0) return node.kind === "and" ? "true" : "false";
      return `(${node.children.map((child) => formatFilter(child, scope)).join(node.kind === "and" ? " && " : " || ")})`;
    case "not":
      return `!(${formatFilter(node.child, scope)})`;
    case "compare":
      return `${formatOperand(node.left, scope)} ${OP_TEXT[node.op]} ${formatOperand(node.right, scope)}`;
  }
}

function formatOperand(operand: Operand, scope: "filter" | "rule"): string {
  if (operand.kind === "literal") return formatLiteral(operand.value);
  if (operand.kind === "concat") return operand.parts.map((part) => formatOperand(part, scope)).join(" + ");
  if (scope === "filter" && operand.root === "doc") return operand.path.join(".");
  return [operand.root, ...operand.path].join(".");
}

function formatLiteral(value: Literal): string {
  if (Array.isArray(value)) return `[${value.map((item) => formatLiteral(item)).join(", ")}]`;
  return value === null ? "null" : JSON.stringify(value);
}

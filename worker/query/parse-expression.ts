import type { FilterNode, ParseOptions } from "./ast";

/**
 * Parses an expression string (`age >= 18 && (status = "active" || role in ["a","b"])`).
 *
 * @throws {ApiError} `invalid_filter` with `details.position` (0-based character offset).
 */
export function parseExpression(text: string, options?: ParseOptions): FilterNode {
  void text;
  void options;
  throw new Error("parseExpression: not implemented yet");
}

/** Parses a security rule: like `parseExpression` with `scope: "rule"` (explicit roots). */
export function parseRule(text: string): FilterNode {
  return parseExpression(text, { scope: "rule" });
}

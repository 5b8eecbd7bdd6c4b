import { describe, expect, it } from "vitest";
import { ApiError } from "../../core/errors";
import type { FilterNode } from "../../core/query";
import {
  formatFilter,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  MAX_FILTER_TERMS,
  MAX_IN_LIST,
  parseExpression,
  parseRule,
} from "../../core/query";

/** The error a parser throws, with its code, status and details. */
function parseError(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected an invalid_filter error");
}

const f = (text: string) => formatFilter(parseExpression(text));

describe("parseExpression: syntax", () => {
  it("reads the example from the issue, with nested fields, lists and parentheses", () => {
    expect(f('age >= 18 && (status = "active" || role in ["a","b"])')).toBe(
      '(age >= 18 && (status == "active" || role in ["a", "b"]))',
    );
    expect(parseExpression('profile.city == "Lagos"')).toEqual({
      kind: "compare",
      op: "eq",
      left: { kind: "field", root: "doc", path: ["profile", "city"] },
      right: { kind: "literal", value: "Lagos" },
    });
  });

  it("binds && tighter than ||, and ! tighter than both", () => {
    expect(f("a = 1 || b = 2 && c = 3")).toBe("(a == 1 || (b == 2 && c == 3))");
    expect(f("(a = 1 || b = 2) && c = 3")).toBe("((a == 1 || b == 2) && c == 3)");
    expect(f("!a = 1 && b = 2")).toBe("(!(a == 1) && b == 2)");
    expect(f("not (a = 1 or b = 2)")).toBe("!((a == 1 || b == 2))");
  });

  it("accepts word operators in any case, and = as well as ==", () => {
    expect(f('name CONTAINS "al" AND tag Not In [1] or x startswith "a" && y endswith "z"')).toBe(
      '((name contains "al" && !(tag in [1])) || (x startswith "a" && y endswith "z"))',
    );
    expect(parseExpression("a = 1")).toEqual(parseExpression("a == 1"));
  });

  it("parses negation operators to not around the positive form", () => {
    expect(parseExpression("a != 1")).toEqual({ kind: "not", child: parseExpression("a == 1") });
    expect(parseExpression("a not in [1]")).toEqual({ kind: "not", child: parseExpression("a in [1]") });
  });

  it("reads every literal type, keeping numbers and strings apart", () => {
    const right = (text: string) => (parseExpression(`x == ${text}`) as Extract<FilterNode, { kind: "compare" }>).right;
    expect(right("18")).toEqual({ kind: "literal", value: 18 });
    expect(right('"18"')).toEqual({ kind: "literal", value: "18" });
    expect(right("-2.5e3")).toEqual({ kind: "literal", value: -2500 });
    expect(right("0")).toEqual({ kind: "literal", value: 0 });
    expect(right("true")).toEqual({ kind: "literal", value: true });
    expect(right("null")).toEqual({ kind: "literal", value: null });
    expect(right(`'it\\'s'`)).toEqual({ kind: "literal", value: "it's" });
    expect(right('"tab\\there \\u00e9 \\ud83d\\ude00"')).toEqual({ kind: "literal", value: "tab\there é 😀" });
    expect(right('"😀 unicode"')).toEqual({ kind: "literal", value: "😀 unicode" });
  });

  it("reads a bare field as `== true`, and true/false as constant conditions", () => {
    expect(f("published && !archived")).toBe("(published == true && !(archived == true))");
    expect(parseExpression("true")).toEqual({ kind: "const", value: true });
    expect(parseExpression("false || a = 1")).toEqual(parseExpression("a = 1"));
  });

  it("reads bare names as document paths in a filter, even doc/auth/data", () => {
    expect(parseExpression("auth.id = 1")).toMatchObject({ left: { root: "doc", path: ["auth", "id"] } });
  });

  it("formats any parsed filter back to text that parses to the same AST", () => {
    for (const text of [
      'a == 1 && (b != "x" || !(c in [1, "1", true, null]))',
      'p.q.r >= -0.5 || s startswith "\\"" && t endswith \'\\\\\'',
      "x contains y && 18 < age",
    ]) {
      const node = parseExpression(text);
      expect(parseExpression(formatFilter(node))).toEqual(node);
    }
  });
});

describe("parseRule: explicit roots", () => {
  it("reads doc, data and auth roots", () => {
    expect(parseRule("auth.id != null && doc.owner == auth.id")).toEqual({
      kind: "and",
      children: [
        {
          kind: "not",
          child: {
            kind: "compare",
            op: "eq",
            left: { kind: "field", root: "auth", path: ["id"] },
            right: { kind: "literal", value: null },
          },
        },
        {
          kind: "compare",
          op: "eq",
          left: { kind: "field", root: "doc", path: ["owner"] },
          right: { kind: "field", root: "auth", path: ["id"] },
        },
      ],
    });
    expect(parseRule('auth.claims.team == data.team || auth.role == "admin"')).toMatchObject({ kind: "or" });
  });

  it("rejects a rule path without a root, pointing at it", () => {
    const error = parseError(() => parseRule("doc.a = 1 && owner == auth.id"));
    expect(error.code).toBe("invalid_filter");
    expect(error.details).toEqual({ position: 13 });
    expect(error.message).toMatch(/doc, data or auth/);
  });
});

describe("parseExpression: errors carry a position", () => {
  const cases: [string, number, RegExp][] = [
    ["", 0, /empty/],
    ["age >= ", 7, /end of the filter/],
    ["age >> 18", 5, /Expected a field or a value/],
    ["(age = 1", 8, /Expected '\)'/],
    ["age = 1)", 7, /found '\)'/],
    ['name = "abc', 7, /Unterminated string/],
    ['name = "a\\qb"', 9, /Invalid escape/],
    ["age = 18 18", 9, /Expected &&, \|\| or the end, found the number 18/],
    ["age 18", 4, /Expected an operator/],
    ["18", 2, /Expected an operator/],
    ["a in 5", 5, /needs a list/],
    ["a = [1]", 4, /only allowed after 'in'/],
    ["a in [1, [2]]", 9, /only strings, numbers/],
    ["a in [1 2]", 8, /Expected ',' or ']'/],
    ["a not b", 6, /Expected 'in' after 'not'/],
    ["a = 01", 4, /Malformed number/],
    ["a = 1e999", 4, /out of range/],
    ["a = and", 4, /keyword 'and'/],
    ['a = "\\ud800"', 4, /unpaired surrogate/],
  ];
  for (const [text, position, message] of cases) {
    it(`${JSON.stringify(text)} -> position ${position}`, () => {
      const error = parseError(() => parseExpression(text));
      expect(error.code).toBe("invalid_filter");
      expect(error.status).toBe(400);
      expect((error.details as { position: number }).position).toBe(position);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`at position ${position}`);
    });
  }

  it("rejects anything but identifier segments in field names (injection attempts)", () => {
    const attempts: [string, number][] = [
      ["name'); DROP TABLE documents; -- = 1", 4],
      ["a.b' OR 1=1 = 1", 3],
      ['a."b" = 1', 2],
      ["a..b = 1", 2],
      ["a.1b = 1", 2],
      ["$.a = 1", 0],
      ["a[0] = 1", 1],
      ["a-b = 1", 1],
      ["a.b.` = 1", 4],
      ["ä = 1", 0],
      ["a\u0000 = 1", 1],
      ["a; = 1", 1],
    ];
    for (const [text, position] of attempts) {
      const error = parseError(() => parseExpression(text));
      expect(error.code, text).toBe("invalid_filter");
      expect((error.details as { position: number }).position, text).toBe(position);
    }
  });
});

describe("parseExpression: limits", () => {
  it(`rejects text longer than ${MAX_FILTER_LENGTH} characters`, () => {
    const long = `a = "${"x".repeat(MAX_FILTER_LENGTH)}"`;
    const error = parseError(() => parseExpression(long));
    expect(error.details).toMatchObject({ max_length: MAX_FILTER_LENGTH });
    expect(() => parseExpression(`a = "${"x".repeat(MAX_FILTER_LENGTH - 10)}"`)).not.toThrow();
  });

  it(`rejects nesting deeper than ${MAX_FILTER_DEPTH}`, () => {
    const nested = (n: number) => `${"(".repeat(n)}a = 1${")".repeat(n)}`;
    expect(() => parseExpression(nested(MAX_FILTER_DEPTH))).not.toThrow();
    const error = parseError(() => parseExpression(nested(MAX_FILTER_DEPTH + 1)));
    expect(error.details).toEqual({ position: MAX_FILTER_DEPTH, max_depth: MAX_FILTER_DEPTH });
    expect(() => parseExpression(`${"!".repeat(MAX_FILTER_DEPTH + 1)}a`)).toThrow(/nests deeper/);
  });

  it(`rejects more than ${MAX_FILTER_TERMS} comparisons`, () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `a = ${i}`).join(" || ");
    expect(() => parseExpression(terms(MAX_FILTER_TERMS))).not.toThrow();
    const error = parseError(() => parseExpression(terms(MAX_FILTER_TERMS + 1)));
    expect(error.details).toMatchObject({ max_terms: MAX_FILTER_TERMS });
  });

  it(`rejects lists of more than ${MAX_IN_LIST} values`, () => {
    const list = (n: number) => `a in [${Array.from({ length: n }, (_, i) => i).join(",")}]`;
    expect(() => parseExpression(list(MAX_IN_LIST))).not.toThrow();
    expect(() => parseExpression(list(MAX_IN_LIST + 1))).toThrow(/at most 100 values/);
  });

  it("rejects paths of more than 10 segments", () => {
    expect(() => parseExpression(`${Array.from({ length: 11 }, () => "a").join(".")} = 1`)).toThrow(
      /at most 10 segments/,
    );
  });
});

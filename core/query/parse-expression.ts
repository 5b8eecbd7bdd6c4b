import type {
  CompareOp,
  ConcatValue,
  FieldRef,
  FilterNode,
  Literal,
  LiteralValue,
  Operand,
  ParseOptions,
  Root,
  Scalar,
} from "./ast.js";
import {
  and,
  FALSE,
  MAX_CONCAT_PARTS,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  MAX_FILTER_TERMS,
  MAX_IN_LIST,
  MAX_PATH_SEGMENTS,
  not,
  or,
  TRUE,
} from "./ast.js";
import { filterError } from "./filter-error.js";

/*
 * Grammar (keywords are case-insensitive):
 *
 *   expr       := and ( ("||" | "or") and )*
 *   and        := unary ( ("&&" | "and") unary )*
 *   unary      := ("!" | "not") unary | "(" expr ")" | condition
 *   condition  := operand [ op operand ]          a bare operand means `operand == true`
 *   op         := "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in"
 *               | "contains" | "startswith" | "endswith"
 *   operand    := value ( "+" value )*                 "+" joins strings: only paths and strings
 *   value      := path | string | number | "true" | "false" | "null" | list   (list: after in only)
 *   list       := "[" [ scalar ( "," scalar )* ] "]"
 *   path       := name ( "." name )*                  name := [A-Za-z_][A-Za-z0-9_]*
 */

type Token =
  | { kind: "punct"; text: string; pos: number }
  | { kind: "name"; path: string[]; pos: number }
  | { kind: "string"; value: string; pos: number }
  | { kind: "number"; value: number; pos: number }
  | { kind: "end"; pos: number };

const KEYWORDS = new Set(["and", "or", "not", "in", "contains", "startswith", "endswith", "true", "false", "null"]);
const DEFAULT_ROOTS: Readonly<Record<string, Root>> = { doc: "doc", data: "data", auth: "auth" };
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const PUNCT = ["==", "!=", "<=", ">=", "&&", "||", "=", "<", ">", "!", "(", ")", "[", "]", ",", "+"];

/**
 * Parses an expression string to the AST.
 *
 * In the default `"filter"` scope every name is a path in the stored document (`age`,
 * `profile.city` mean `doc.age`, `doc.profile.city`). In the `"rule"` scope a path starts with its
 * root: `doc.owner`, `data.title`, `auth.id`, `auth.claims.team`.
 *
 * @example
 * parseExpression('age >= 18 && (status = "active" || role in ["a", "b"])');
 * parseExpression("auth.id != null && doc.owner == auth.id", { scope: "rule" });
 *
 * @throws {ApiError} `invalid_filter` with `details.position` (0-based offset in `text`): syntax
 * errors, invalid field names, and the limits `MAX_FILTER_LENGTH`, `MAX_FILTER_DEPTH`,
 * `MAX_FILTER_TERMS`, `MAX_IN_LIST`, `MAX_PATH_SEGMENTS`.
 */
export function parseExpression(text: string, options?: ParseOptions): FilterNode {
  return parseExpressionCounted(text, options).node;
}

/** Parses a security rule: `parseExpression` in the `"rule"` scope (explicit roots). */
export function parseRule(text: string): FilterNode {
  return parseExpression(text, { scope: "rule" });
}

/** As `parseExpression`, also returning how many comparisons the text holds (for shared limits). */
export function parseExpressionCounted(text: string, options?: ParseOptions): { node: FilterNode; terms: number } {
  if (text.length > MAX_FILTER_LENGTH) {
    throw filterError(
      `The filter is ${text.length} characters long; the limit is ${MAX_FILTER_LENGTH}.`,
      MAX_FILTER_LENGTH,
      {
        max_length: MAX_FILTER_LENGTH,
      },
    );
  }
  const parser = new Parser(tokenize(text), options?.scope ?? "filter", options?.roots ?? DEFAULT_ROOTS);
  return { node: parser.parse(), terms: parser.terms };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ kind: "string", value, pos: i });
      i = end;
      continue;
    }
    if ((c >= "0" && c <= "9") || (c === "-" && /[0-9]/.test(text[i + 1] ?? ""))) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text) as RegExpExecArray;
      const end = i + match[0].length;
      if (/[A-Za-z0-9_.]/.test(text[end] ?? "")) throw filterError(`Malformed number "${text.slice(i, end + 1)}"`, i);
      const value = Number(match[0]);
      if (!Number.isFinite(value)) throw filterError(`The number ${match[0]} is out of range`, i);
      tokens.push({ kind: "number", value, pos: i });
      i = end;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(text);
    if (name) {
      const start = i;
      const path = [name[0]];
      i += name[0].length;
      while (text[i] === ".") {
        NAME.lastIndex = i + 1;
        const next = NAME.exec(text);
        if (!next) {
          throw filterError(
            "Expected a field name after '.': names are letters, digits and _ and do not start with a digit",
            i + 1,
          );
        }
        path.push(next[0]);
        i += 1 + next[0].length;
      }
      if (path.length > MAX_PATH_SEGMENTS) {
        throw filterError(`A field path may have at most ${MAX_PATH_SEGMENTS} segments`, start);
      }
      tokens.push({ kind: "name", path, pos: start });
      continue;
    }
    const punct = PUNCT.find((p) => text.startsWith(p, i));
    if (!punct) throw filterError(`Unexpected character ${JSON.stringify(c)}`, i);
    tokens.push({ kind: "punct", text: punct, pos: i });
    i += punct.length;
  }
  tokens.push({ kind: "end", pos: text.length });
  return tokens;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "'": "'",
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start];
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === quote) {
      // Lone surrogates have no UTF-8 form: SQLite and JavaScript would disagree about them.
      if (!value.isWellFormed())
        throw filterError("The string contains an unpaired surrogate (\\uD800-\\uDFFF)", start);
      return { value, end: i + 1 };
    }
    if (c === "\\") {
      const e = text[i + 1] ?? "";
      if (e === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw filterError("Invalid \\u escape: expected 4 hex digits", i);
        value += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
        continue;
      }
      const escaped = ESCAPES[e];
      if (escaped === undefined) throw filterError(`Invalid escape \\${e}`, i);
      value += escaped;
      i += 2;
      continue;
    }
    if (c === "\u0000") throw filterError("Strings may not contain NUL characters", i);
    value += c;
    i++;
  }
  throw filterError("Unterminated string", start);
}

class Parser {
  terms = 0;
  #i = 0;
  #depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly scope: "filter" | "rule",
    private readonly roots: Readonly<Record<string, Root>>,
  ) {}

  parse(): FilterNode {
    if (this.#peek().kind === "end") throw filterError("The filter is empty", 0);
    const node = this.#or();
    const next = this.#peek();
    if (next.kind !== "end") throw filterError(`Expected &&, || or the end, found ${describe(next)}`, next.pos);
    return node;
  }

  #peek(offset = 0): Token {
    return this.tokens[Math.min(this.#i + offset, this.tokens.length - 1)] as Token;
  }

  #next(): Token {
    const token = this.#peek();
    if (token.kind !== "end") this.#i++;
    return token;
  }

  #isPunct(text: string, token = this.#peek()): boolean {
    return token.kind === "punct" && token.text === text;
  }

  #isKeyword(word: string, token = this.#peek()): boolean {
    return token.kind === "name" && token.path.length === 1 && (token.path[0] as string).toLowerCase() === word;
  }

  #or(): FilterNode {
    const nodes = [this.#and()];
    while (this.#isPunct("||") || this.#isKeyword("or")) {
      this.#next();
      nodes.push(this.#and());
    }
    return nodes.length === 1 ? (nodes[0] as FilterNode) : or(...nodes);
  }

  #and(): FilterNode {
    const nodes = [this.#unary()];
    while (this.#isPunct("&&") || this.#isKeyword("and")) {
      this.#next();
      nodes.push(this.#unary());
    }
    return nodes.length === 1 ? (nodes[0] as FilterNode) : and(...nodes);
  }

  #unary(): FilterNode {
    const token = this.#peek();
    if (this.#isPunct("!") || this.#isKeyword("not") || this.#isPunct("(")) {
      if (++this.#depth > MAX_FILTER_DEPTH) {
        throw filterError(`The filter nests deeper than ${MAX_FILTER_DEPTH} levels`, token.pos, {
          max_depth: MAX_FILTER_DEPTH,
        });
      }
      this.#next();
      let node: FilterNode;
      if (this.#isPunct("(", token)) {
        node = this.#or();
        const close = this.#next();
        if (!this.#isPunct(")", close))
          throw filterError(`Expected ')' to close the '(' at ${token.pos}, found ${describe(close)}`, close.pos);
      } else {
        node = not(this.#unary());
      }
      this.#depth--;
      return node;
    }
    return this.#condition();
  }

  #condition(): FilterNode {
    const start = this.#peek();
    const left = this.#operand(false);
    const op = this.#operator();
    if (!op) {
      const next = this.#peek();
      const ends = next.kind === "end" || this.#isPunct(")") || this.#isPunct("&&") || this.#isPunct("||");
      if (!ends && !this.#isKeyword("and") && !this.#isKeyword("or")) {
        throw filterError(
          `Expected an operator (=, !=, <, in, contains, ...) after ${describe(start)}, found ${describe(next)}`,
          next.pos,
        );
      }
      if (left.kind === "field") return this.#term(start, { kind: "compare", op: "eq", left, right: TRUE_LITERAL });
      if (left.kind === "concat")
        throw filterError("A + concatenation is a value: compare it with something", next.pos);
      if (left.value === true) return TRUE;
      if (left.value === false) return FALSE;
      throw filterError(`Expected an operator (=, !=, <, in, contains, ...) after ${describe(start)}`, next.pos);
    }
    const list = op.op === "in";
    const rightToken = this.#peek();
    const right = this.#operand(list);
    if (list && right.kind === "literal" && !Array.isArray(right.value)) {
      throw filterError(`'in' needs a list such as [1, 2] or a field, not a single value`, rightToken.pos);
    }
    const compare: FilterNode = { kind: "compare", op: op.op, left, right };
    return this.#term(start, op.negate ? not(compare) : compare);
  }

  #term(start: Token, node: FilterNode): FilterNode {
    if (++this.terms > MAX_FILTER_TERMS) {
      throw filterError(`The filter has more than ${MAX_FILTER_TERMS} comparisons`, start.pos, {
        max_terms: MAX_FILTER_TERMS,
      });
    }
    return node;
  }

  #operator(): { op: CompareOp; negate: boolean } | null {
    const token = this.#peek();
    if (token.kind === "punct") {
      const op = PUNCT_OPS[token.text];
      if (!op) return null;
      this.#next();
      return op;
    }
    if (token.kind !== "name" || token.path.length !== 1) return null;
    const word = (token.path[0] as string).toLowerCase();
    if (word === "not") {
      const next = this.#peek(1);
      if (!this.#isKeyword("in", next))
        throw filterError(`Expected 'in' after 'not', found ${describe(next)}`, next.pos);
      this.#i += 2;
      return { op: "in", negate: true };
    }
    if (word === "in" || word === "contains" || word === "startswith" || word === "endswith") {
      this.#next();
      return { op: word, negate: false };
    }
    return null;
  }

  #operand(allowList: boolean): Operand {
    const first = this.#value(allowList);
    if (!this.#isPunct("+")) return first;
    const parts: (FieldRef | LiteralValue)[] = [];
    let part: Operand = first;
    let partToken = this.tokens[this.#i - 1] as Token;
    for (;;) {
      if (part.kind === "concat" || (part.kind === "literal" && typeof part.value !== "string")) {
        throw filterError("Only fields and strings can be joined with +", partToken.pos);
      }
      parts.push(part);
      if (!this.#isPunct("+")) break;
      const plus = this.#next();
      if (parts.length >= MAX_CONCAT_PARTS) {
        throw filterError(`A concatenation joins at most ${MAX_CONCAT_PARTS} parts`, plus.pos, {
          max_concat_parts: MAX_CONCAT_PARTS,
        });
      }
      partToken = this.#peek();
      part = this.#value(false);
    }
    const concat: ConcatValue = { kind: "concat", parts };
    return concat;
  }

  #value(allowList: boolean): Operand {
    const token = this.#next();
    switch (token.kind) {
      case "string":
      case "number":
        return { kind: "literal", value: token.value };
      case "name": {
        const keyword = token.path.length === 1 ? (token.path[0] as string).toLowerCase() : "";
        if (keyword === "true" || keyword === "false") return { kind: "literal", value: keyword === "true" };
        if (keyword === "null") return { kind: "literal", value: null };
        if (KEYWORDS.has(keyword))
          throw filterError(`Expected a field or a value, found the keyword '${keyword}'`, token.pos);
        return this.#field(token.path, token.pos);
      }
      case "punct":
        if (token.text === "[") {
          if (!allowList) throw filterError("A list [...] is only allowed after 'in' or 'not in'", token.pos);
          return { kind: "literal", value: this.#list(token.pos) };
        }
        throw filterError(`Expected a field or a value, found ${describe(token)}`, token.pos);
      case "end":
        throw filterError("Unexpected end of the filter: expected a field or a value", token.pos);
    }
  }

  #field(path: string[], pos: number): FieldRef {
    if (this.scope === "filter") return { kind: "field", root: "doc", path };
    const [root, ...rest] = path;
    const mapped = Object.hasOwn(this.roots, root as string) ? this.roots[root as string] : undefined;
    if (!mapped) {
      const names = Object.keys(this.roots);
      throw filterError(
        `A rule names its values from ${names.slice(0, -1).join(", ")} or ${names.at(-1)} (e.g. ${names[0]}.${path.join(".")}), not '${root}'`,
        pos,
      );
    }
    return { kind: "field", root: mapped, path: rest };
  }

  #list(start: number): Literal {
    const items: Scalar[] = [];
    if (this.#isPunct("]")) {
      this.#next();
      return items;
    }
    for (;;) {
      const token = this.#next();
      if (token.kind === "string" || token.kind === "number") items.push(token.value);
      else if (this.#isKeyword("true", token)) items.push(true);
      else if (this.#isKeyword("false", token)) items.push(false);
      else if (this.#isKeyword("null", token)) items.push(null);
      else
        throw filterError(
          `A list holds only strings, numbers, true, false and null; found ${describe(token)}`,
          token.pos,
        );
      if (items.length > MAX_IN_LIST)
        throw filterError(`A list may hold at most ${MAX_IN_LIST} values`, start, { max_in_list: MAX_IN_LIST });
      const sep = this.#next();
      if (this.#isPunct("]", sep)) return items;
      if (!this.#isPunct(",", sep))
        throw filterError(`Expected ',' or ']' in the list, found ${describe(sep)}`, sep.pos);
    }
  }
}

const TRUE_LITERAL: Operand = { kind: "literal", value: true };

const PUNCT_OPS: Record<string, { op: CompareOp; negate: boolean }> = {
  "=": { op: "eq", negate: false },
  "==": { op: "eq", negate: false },
  "!=": { op: "eq", negate: true },
  "<": { op: "lt", negate: false },
  "<=": { op: "lte", negate: false },
  ">": { op: "gt", negate: false },
  ">=": { op: "gte", negate: false },
};

function describe(token: Token): string {
  switch (token.kind) {
    case "end":
      return "the end of the filter";
    case "punct":
      return `'${token.text}'`;
    case "name":
      return `'${token.path.join(".")}'`;
    case "string":
      return "a string";
    case "number":
      return `the number ${token.value}`;
  }
}

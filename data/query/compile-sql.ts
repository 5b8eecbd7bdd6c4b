import { ApiError } from "../../core/errors";
import type { CompareNode, CompileContext, FilterNode, Operand, SqlFragment } from "../../core/query/ast";
import { FIELD_SEGMENT, MAX_SQL_PARAMS } from "../../core/query/ast";
import { ANONYMOUS } from "../../core/query/auth-values";
import { matches } from "../../core/query/match";
import { classOf, codePointLength, concatValues, resolvePath } from "../../core/query/values";

/**
 * A compiled operand: a constant known at compile time (literals, `auth.*`, `data.*`), or a value
 * read from the row. For a row value, `type` is a SQL expression giving its JSON type and never
 * NULL (`'null'` for null and missing: json_extract gives 1/0 for booleans, so every typed
 * comparison goes through `type`), `value` is its SQL value, and `each` (document fields only)
 * is the table-valued `json_each(...)` call over it.
 */
type SqlOperand =
  | { readonly kind: "const"; readonly value: unknown }
  | { readonly kind: "row"; readonly type: string; readonly value: string; readonly each: string | null };

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/**
 * Compiles a filter or rule to a parameterized SQLite boolean expression over the JSON column
 * `ctx.column` (backend 1). The result is always 0 or 1, never SQL NULL, so it can be negated and
 * combined freely. Values only ever travel as bound parameters; field paths are written as
 * `'$.a.b'` literals built from validated segments (identifiers only), which also lets SQLite use
 * an expression index on `json_extract(data, '$.a.b')`. `auth.*` and `data.*` are constants for
 * one request and are resolved from `ctx` here.
 *
 * @example
 * const where = compileFilter(and(rule, filter), { column: "d.data", auth: authValues(c.get("auth")) });
 * db.prepare(`SELECT * FROM documents d WHERE d.project_id = ? AND d.collection = ? AND ${where.sql}`)
 *   .bind(projectId, collection, ...where.params);
 *
 * @throws {ApiError} `invalid_filter` when the fragment would need more than `ctx.maxParams`
 * bound parameters (default `MAX_SQL_PARAMS`); `Error` for a bad `ctx.column` or a hand-built AST
 * with an invalid path (programming errors, not user input).
 */
export function compileFilter(node: FilterNode, ctx: CompileContext): SqlFragment {
  if (!COLUMN.test(ctx.column)) throw new Error(`compileFilter: invalid column expression "${ctx.column}"`);
  const compiler = new SqlCompiler(ctx);
  const sql = compiler.node(node);
  const max = ctx.maxParams ?? MAX_SQL_PARAMS;
  if (compiler.params.length > max) {
    throw new ApiError(
      "invalid_filter",
      `The filter needs ${compiler.params.length} values, more than the ${max} a query can carry. Use fewer terms or shorter "in" lists.`,
      { position: 0, params: compiler.params.length, max_params: max },
    );
  }
  return { sql, params: compiler.params };
}

/** The JSON path literal of validated segments, e.g. `'$.profile.city'`. */
export function jsonPathLiteral(path: readonly string[]): string {
  for (const segment of path) {
    if (!FIELD_SEGMENT.test(segment))
      throw new Error(`Invalid field segment in a filter AST: ${JSON.stringify(segment)}`);
  }
  return path.length === 0 ? "'$'" : `'$.${path.join(".")}'`;
}

class SqlCompiler {
  readonly params: unknown[] = [];
  #aliases = 0;

  constructor(private readonly ctx: CompileContext) {}

  node(node: FilterNode): string {
    switch (node.kind) {
      case "const":
        return node.value ? "1" : "0";
      case "and":
        return node.children.length === 0 ? "1" : `(${node.children.map((c) => this.node(c)).join(" AND ")})`;
      case "or":
        return node.children.length === 0 ? "0" : `(${node.children.map((c) => this.node(c)).join(" OR ")})`;
      case "not":
        return `(NOT ${this.node(node.child)})`;
      case "compare":
        return this.compare(node);
    }
  }

  compare(node: CompareNode): string {
    const left = this.operand(node.left);
    const right = this.operand(node.right);
    if (left.kind === "const" && right.kind === "const") {
      // Both sides known now (e.g. `auth.role == "admin"`): fold with the matcher's semantics.
      return matches({ kind: "compare", op: node.op, left: literal(left.value), right: literal(right.value) }, {})
        ? "1"
        : "0";
    }
    switch (node.op) {
      case "eq":
        return this.eq(left, right);
      case "lt":
      case "lte":
      case "gt":
      case "gte":
        return this.ordered(node.op, left, right);
      case "in":
        return this.arrayHas(right, left);
      case "contains":
        return or(this.arrayHas(left, right), this.textOp("contains", left, right));
      case "startswith":
      case "endswith":
        return this.textOp(node.op, left, right);
    }
  }

  operand(operand: Operand): SqlOperand {
    if (operand.kind === "literal") return { kind: "const", value: operand.value };
    if (operand.kind === "concat") return this.concat(operand.parts.map((part) => this.operand(part)));
    if (operand.root === "auth") return { kind: "const", value: resolvePath(this.ctx.auth ?? ANONYMOUS, operand.path) };
    if (operand.root === "data") return { kind: "const", value: resolvePath(this.ctx.data, operand.path) };
    const args = `${this.ctx.column}, ${jsonPathLiteral(operand.path)}`;
    return {
      kind: "row",
      type: `IFNULL(json_type(${args}), 'null')`,
      value: `json_extract(${args})`,
      each: `json_each(${args})`,
    };
  }

  /**
   * `a + b + ...`, as `concatValues`. Constant parts are folded, or written as hex text literals
   * rather than bound: the operand's SQL may appear more than once in a comparison, and a
   * positional parameter cannot be repeated.
   */
  concat(parts: readonly SqlOperand[]): SqlOperand {
    if (parts.every((part) => part.kind === "const")) {
      return { kind: "const", value: concatValues(parts.map((part) => part.value)) };
    }
    const rows: RowOperand[] = [];
    const pieces: string[] = [];
    for (const part of parts) {
      if (part.kind === "row") {
        rows.push(part);
        pieces.push(part.value);
      } else if (typeof part.value === "string" && part.value.isWellFormed()) {
        pieces.push(textLiteral(part.value));
      } else {
        return { kind: "const", value: null }; // a missing or non-string part: the whole is null
      }
    }
    const allText = rows.map((row) => `${row.type} = 'text'`).join(" AND ");
    return {
      kind: "row",
      type: `(CASE WHEN ${allText} THEN 'text' ELSE 'null' END)`,
      value: `(CASE WHEN ${allText} THEN ${pieces.join(" || ")} END)`,
      each: null,
    };
  }

  bind(value: unknown): string {
    this.params.push(value);
    return "?";
  }

  /** Typed equality, as `valuesEqual`. */
  eq(a: SqlOperand, b: SqlOperand): string {
    if (a.kind === "const") return this.eq(b, a);
    if (b.kind === "const") {
      switch (classOf(b.value)) {
        case "null":
          return `${a.type} = 'null'`;
        case "boolean":
          return `${a.type} = '${b.value ? "true" : "false"}'`;
        case "number":
          return `(${isNumber(a)} AND ${a.value} = ${this.bind(b.value)})`;
        case "string":
          return `(${a.type} = 'text' AND ${a.value} = ${this.bind(b.value)})`;
        default:
          return "0";
      }
    }
    return (
      `((${a.type} = ${b.type} AND ${a.type} IN ('null', 'true', 'false'))` +
      ` OR (${isNumber(a)} AND ${isNumber(b)} AND ${a.value} = ${b.value})` +
      ` OR (${a.type} = 'text' AND ${b.type} = 'text' AND ${a.value} = ${b.value}))`
    );
  }

  /** `<`, `<=`, `>`, `>=` between two numbers or two strings, as `orderedCompare`. */
  ordered(op: "lt" | "lte" | "gt" | "gte", a: SqlOperand, b: SqlOperand): string {
    if (a.kind === "const") return this.ordered(FLIPPED[op], b as RowOperand, a);
    const sqlOp = SQL_OP[op];
    if (b.kind === "const") {
      const kind = classOf(b.value);
      if (kind === "number") return `(${isNumber(a)} AND ${a.value} ${sqlOp} ${this.bind(b.value)})`;
      if (kind === "string") return `(${a.type} = 'text' AND ${a.value} ${sqlOp} ${this.bind(b.value)})`;
      return "0";
    }
    return (
      `(((${isNumber(a)} AND ${isNumber(b)}) OR (${a.type} = 'text' AND ${b.type} = 'text'))` +
      ` AND ${a.value} ${sqlOp} ${b.value})`
    );
  }

  /** `item in list` / the array half of `list contains item`, as `arrayHas`. */
  arrayHas(list: SqlOperand, item: SqlOperand): string {
    if (list.kind === "const") {
      if (!Array.isArray(list.value)) return "0";
      return this.constListHas(list.value, item as RowOperand);
    }
    if (list.each === null) return "0";
    const alias = `je${++this.#aliases}`;
    const element: RowOperand = { kind: "row", type: `${alias}.type`, value: `${alias}.value`, each: null };
    return `(${list.type} = 'array' AND EXISTS (SELECT 1 FROM ${list.each} AS ${alias} WHERE ${this.eq(element, item)}))`;
  }

  /**
   * A row value against a constant list, grouped by type so each group is one test: numbers and
   * strings go in as one JSON-array parameter each (`IN (SELECT value FROM json_each(?))`), which
   * keeps long lists within D1's bound-parameter limit.
   */
  constListHas(list: readonly unknown[], item: RowOperand): string {
    const numbers: number[] = [];
    const strings: string[] = [];
    const types = new Set<string>();
    for (const element of list) {
      switch (classOf(element)) {
        case "null":
          types.add("'null'");
          break;
        case "boolean":
          types.add(element ? "'true'" : "'false'");
          break;
        case "number":
          numbers.push(element as number);
          break;
        case "string":
          strings.push(element as string);
          break;
        default:
          break; // arrays and objects equal nothing
      }
    }
    const tests: string[] = [];
    if (types.size > 0) tests.push(`${item.type} IN (${[...types].join(", ")})`);
    if (numbers.length > 0) tests.push(`(${isNumber(item)} AND ${item.value} ${this.inList(numbers)})`);
    if (strings.length > 0) tests.push(`(${item.type} = 'text' AND ${item.value} ${this.inList(strings)})`);
    return tests.length === 0 ? "0" : tests.length === 1 ? (tests[0] as string) : `(${tests.join(" OR ")})`;
  }

  inList(values: readonly (number | string)[]): string {
    if (values.length === 1) return `= ${this.bind(values[0])}`;
    return `IN (SELECT value FROM json_each(${this.bind(JSON.stringify(values))}))`;
  }

  /** The string operators (and the string half of `contains`): both sides strings, case-sensitive. */
  textOp(op: "contains" | "startswith" | "endswith", a: SqlOperand, b: SqlOperand): string {
    if (b.kind === "const") {
      if (typeof b.value !== "string" || a.kind === "const") return "0";
      const isText = `${a.type} = 'text'`;
      if (b.value === "") return isText; // every string contains, starts and ends with ""
      switch (op) {
        case "contains":
          return `(${isText} AND instr(${a.value}, ${this.bind(b.value)}) > 0)`;
        case "startswith":
          return `(${isText} AND instr(${a.value}, ${this.bind(b.value)}) = 1)`;
        case "endswith":
          return `(${isText} AND substr(${a.value}, ${this.bind(-codePointLength(b.value))}) = ${this.bind(b.value)})`;
      }
    }
    const hay = a.kind === "const" ? (typeof a.value === "string" ? this.bind(a.value) : null) : a.value;
    if (hay === null) return "0";
    const guard = a.kind === "const" ? `${b.type} = 'text'` : `${a.type} = 'text' AND ${b.type} = 'text'`;
    const needle = b.value;
    switch (op) {
      case "contains":
        return `(${guard} AND (${needle} = '' OR instr(${hay}, ${needle}) > 0))`;
      case "startswith":
        return `(${guard} AND (${needle} = '' OR instr(${hay}, ${needle}) = 1))`;
      case "endswith":
        return `(${guard} AND (${needle} = '' OR substr(${hay}, -length(${needle})) = ${needle}))`;
    }
  }
}

type RowOperand = Extract<SqlOperand, { kind: "row" }>;

const SQL_OP = { lt: "<", lte: "<=", gt: ">", gte: ">=" } as const;
const FLIPPED = { lt: "gt", lte: "gte", gt: "lt", gte: "lte" } as const;

function isNumber(operand: RowOperand): string {
  return `${operand.type} IN ('integer', 'real')`;
}

function or(a: string, b: string): string {
  if (a === "0") return b;
  if (b === "0") return a;
  return `(${a} OR ${b})`;
}

/** A SQL text literal that cannot break out of itself: the UTF-8 bytes in hex, cast to text. */
function textLiteral(text: string): string {
  let hex = "";
  for (const byte of new TextEncoder().encode(text)) hex += byte.toString(16).padStart(2, "0");
  return `CAST(X'${hex}' AS TEXT)`;
}

function literal(value: unknown): Operand {
  return { kind: "literal", value: value === undefined ? null : (value as never) };
}

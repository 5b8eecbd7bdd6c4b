/**
 * The value semantics of the filter language, in one place. The in-memory matcher evaluates with
 * these functions, and the SQL compiler folds constant comparisons with them, so a rule such as
 * `auth.role == "admin"` means the same thing in both backends. The SQL compiler mirrors each
 * function in SQL (compile-sql.ts); docs/filter-language.md states the rules for users.
 *
 * In short: values are JSON; a missing field is null; comparisons are typed (a number never
 * equals a string, `true` never equals 1); arrays and objects are never equal to anything.
 */

/** Type classes that decide which comparisons can be true. */
export type ValueClass = "null" | "boolean" | "number" | "string" | "array" | "object";

/** The class of a JSON value; `undefined` (a missing field) is `"null"`. */
export function classOf(value: unknown): ValueClass {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "boolean":
      return "boolean";
    case "number":
      return "number";
    case "string":
      return "string";
    default:
      return Array.isArray(value) ? "array" : "object";
  }
}

/**
 * Follows a path of own properties through plain objects. Anything else on the way (an array, a
 * string, null, a missing key) gives `undefined`, as `json_extract` gives SQL NULL. Own-property
 * checks matter: `constructor` or `__proto__` must never reach the prototype.
 */
export function resolvePath(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (let i = 0; i < path.length; i++) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const key = path[i] as string;
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Typed equality: null = missing; same-class scalars by value; arrays and objects never. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return b === null || b === undefined;
  const t = typeof a;
  if (t === "object") return false;
  return typeof b === t && a === b;
}

/**
 * Orders strings by Unicode code point, which is what SQLite's BINARY collation does on UTF-8.
 * JavaScript's `<` compares UTF-16 code units, which sorts U+E000..U+FFFF after astral characters.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Map code units to an order-preserving key for the first difference: surrogates (astral
    // code points) go above the rest of the BMP.
    x = x >= 0xe000 ? x - 0x800 : x >= 0xd800 ? x + 0x2000 : x;
    y = y >= 0xe000 ? y - 0x800 : y >= 0xd800 ? y + 0x2000 : y;
    return x - y;
  }
  return a.length - b.length;
}

/** `<`, `<=`, `>`, `>=`: only number with number or string with string; otherwise false. */
export function orderedCompare(op: "lt" | "lte" | "gt" | "gte", a: unknown, b: unknown): boolean {
  let diff: number;
  if (typeof a === "number" && typeof b === "number") diff = a < b ? -1 : a > b ? 1 : 0;
  else if (typeof a === "string" && typeof b === "string") diff = compareStrings(a, b);
  else return false;
  switch (op) {
    case "lt":
      return diff < 0;
    case "lte":
      return diff <= 0;
    case "gt":
      return diff > 0;
    case "gte":
      return diff >= 0;
  }
}

/** `item in list`: `list` is an array with an element equal to `item`. */
export function arrayHas(list: unknown, item: unknown): boolean {
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) if (valuesEqual(list[i], item)) return true;
  return false;
}

/** `a contains b`: array membership, or a case-sensitive substring of a string. */
export function containsValue(a: unknown, b: unknown): boolean {
  if (typeof a === "string") return typeof b === "string" && a.includes(b);
  return arrayHas(a, b);
}

/** `a startswith b`: both strings, case-sensitive. */
export function startsWithValue(a: unknown, b: unknown): boolean {
  return typeof a === "string" && typeof b === "string" && a.startsWith(b);
}

/** `a endswith b`: both strings, case-sensitive. */
export function endsWithValue(a: unknown, b: unknown): boolean {
  return typeof a === "string" && typeof b === "string" && a.endsWith(b);
}

/** An unpaired UTF-16 surrogate: such a string has no UTF-8 form, so SQLite cannot hold it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True for a string with no unpaired surrogate (`String.prototype.isWellFormed`, for older runtimes). */
export const isWellFormedText = (text: string) => !LONE_SURROGATE.test(text);

/** `a + b + ...`: the joined strings when every part is a well-formed string, else null. */
export function concatValues(parts: readonly unknown[]): string | null {
  let out = "";
  for (const part of parts) {
    if (typeof part !== "string" || !isWellFormedText(part)) return null;
    out += part;
  }
  return out;
}

/** Number of Unicode code points (SQLite's `length()` of a text value). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

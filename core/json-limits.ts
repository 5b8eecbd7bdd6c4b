/**
 * The limits of every JSON value the server reads, and the one reader that enforces them. JSON
 * enters in a few places only (REST bodies, socket frames, JSON in a query parameter or header),
 * and each of them reads it with {@link parseJsonText}, so token claims, field operators, channel
 * messages and room state all get the same limits wherever they come from.
 *
 * The depth is checked on the text, before `JSON.parse`, by a loop (no recursion), so a hostile
 * `[[[[…` can exhaust neither `JSON.parse` nor the recursive code that handles values afterwards
 * (`JSON.stringify`, schemas, structured clone). Numbers that JSON can write but a double cannot
 * hold (`1e400`) are refused: `JSON.parse` turns them into `Infinity`, which `JSON.stringify`
 * would store as `null`.
 */

/** Deepest nesting of arrays and objects in a JSON text, the outermost one counting as 1. */
export const MAX_JSON_DEPTH = 64;
/** Largest JSON text, in UTF-8 bytes: a REST body (socket frames have their own, smaller, limit). */
export const MAX_JSON_BYTES = 1024 * 1024;

/** Why a JSON text was refused. */
export interface JsonProblem {
  kind: "syntax" | "too_deep" | "non_finite";
  /** A sentence for the error message; for `syntax`, the engine's own description. */
  message: string;
  details?: { max_depth: number } | { number: string };
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; problem: JsonProblem };

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;
/** The characters a JSON number token is made of (its grammar is left to `JSON.parse`). */
const isNumberPart = (code: number) =>
  isDigit(code) || code === 0x2b || code === MINUS || code === 0x2e || (code | 0x20) === 0x65;

/**
 * Parses a JSON text within {@link MAX_JSON_DEPTH}, refusing non-finite numbers. Never throws: a
 * text `JSON.parse` refuses (a syntax error, or a `RangeError` of the engine) is a `syntax` problem.
 */
export function parseJsonText(text: string, maxDepth: number = MAX_JSON_DEPTH): JsonParseResult {
  const problem = scanJsonText(text, maxDepth);
  if (problem) return { ok: false, problem };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: { kind: "syntax", message: (error as Error).message } };
  }
}

/**
 * Finds what {@link parseJsonText} refuses besides syntax, in one pass over the text: nesting
 * deeper than `maxDepth`, or a number token that is not finite as a double. Syntax errors are left
 * to `JSON.parse` (the scan only needs to know where strings start and end).
 */
export function scanJsonText(text: string, maxDepth: number = MAX_JSON_DEPTH): JsonProblem | null {
  let depth = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = endOfString(text, index + 1);
      continue;
    }
    if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      depth += 1;
      if (depth > maxDepth) {
        return {
          kind: "too_deep",
          message: `JSON values may nest arrays and objects at most ${maxDepth} levels deep.`,
          details: { max_depth: maxDepth },
        };
      }
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth -= 1;
    } else if (code === MINUS || isDigit(code)) {
      const start = index;
      while (index + 1 < text.length && isNumberPart(text.charCodeAt(index + 1))) index += 1;
      const token = text.slice(start, index + 1);
      // Only an exponent or a very long token can overflow a double; NaN is a syntax error for JSON.parse.
      if ((token.length > 300 || /[eE]/.test(token)) && Math.abs(Number(token)) === Number.POSITIVE_INFINITY) {
        return {
          kind: "non_finite",
          message: `The number ${token.length > 40 ? `${token.slice(0, 40)}…` : token} is beyond what a JSON number may hold here (a finite double).`,
          details: { number: token.slice(0, 100) },
        };
      }
    }
    index += 1;
  }
  return null;
}

/** The index just past the closing quote of the string whose contents start at `index`. */
function endOfString(text: string, index: number): number {
  let from = index;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return text.length;
    // The quote is escaped when an odd number of backslashes precede it.
    let backslashes = 0;
    while (quote - backslashes - 1 >= index && text.charCodeAt(quote - backslashes - 1) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

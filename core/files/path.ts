/**
 * File paths inside a bucket, checked in one place (browser-safe: the SDK can check before it
 * sends). A path is stored and keyed exactly as this function returns it, so two spellings of one
 * name (NFC and NFD forms of "é") are one file, and nothing a path contains can climb out of its
 * bucket's R2 prefix.
 */

import { isWellFormedText } from "../query/values.js";

/** Longest accepted path in UTF-8 bytes: R2 keys stop at 1,024 bytes, and the project and
 * bucket prefix takes up to ~90 of them. */
export const MAX_FILE_PATH_BYTES = 900;

/** Why a path was refused (`details.reason` of `invalid_path`). */
export type PathProblem =
  | "empty"
  | "too_long"
  | "absolute"
  | "trailing_slash"
  | "empty_segment"
  | "dot_segment"
  | "backslash"
  | "control_character"
  | "unpaired_surrogate";

export type PathCheck = { ok: true; path: string } | { ok: false; reason: PathProblem; message: string };

// C0 controls (NUL included), DEL and the C1 controls: matching them is the point of the pattern.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the path check refuses control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Normalizes (Unicode NFC) and checks a file path such as `users/42/avatar.png`: relative,
 * `/`-separated, no empty, `.` or `..` segment (also when percent-encoded, as `%2e%2e`, so a layer
 * that decodes once more cannot turn it into one), no backslash, no control character (NUL
 * included), well-formed Unicode, at most `MAX_FILE_PATH_BYTES` UTF-8 bytes.
 *
 * @example
 * checkFilePath("photos/Cafe\u0301.jpg"); // { ok: true, path: "photos/Café.jpg" } (NFC)
 * checkFilePath("a/../b");               // { ok: false, reason: "dot_segment", ... }
 */
export function checkFilePath(raw: string): PathCheck {
  if (!isWellFormedText(raw)) return problem("unpaired_surrogate", "The path holds an unpaired surrogate.");
  const path = raw.normalize("NFC");
  if (path === "") return problem("empty", "The path is empty.");
  if (CONTROL.test(path)) return problem("control_character", "The path holds a control character (NUL included).");
  if (path.includes("\\")) return problem("backslash", "The path holds a backslash; separate folders with /.");
  if (path.startsWith("/")) return problem("absolute", "The path starts with /; paths are relative to the bucket.");
  if (path.endsWith("/")) return problem("trailing_slash", "The path ends with /; name a file, not a folder.");
  if (path.split("/").includes("")) return problem("empty_segment", "The path holds an empty segment (//).");
  const hidden = hiddenTraversal(path);
  if (hidden) return problem("dot_segment", `The path holds a "${hidden}" segment (perhaps percent-encoded).`);
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_FILE_PATH_BYTES) {
    return problem("too_long", `The path is ${bytes} bytes long in UTF-8; the limit is ${MAX_FILE_PATH_BYTES}.`);
  }
  return { ok: true, path };
}

/**
 * The first `.` or `..` segment of the path or of any percent-decoded form of it (`%2e%2e`,
 * `..%2f`, double encoding), or null. A backslash or control character that only appears after
 * decoding counts too, since a layer that decodes once more would see it.
 */
function hiddenTraversal(path: string): string | null {
  let text = path;
  for (let layer = 0; layer < 4; layer++) {
    if (layer > 0 && (text.includes("\\") || CONTROL.test(text))) return "%-encoded \\ or control character";
    for (const segment of text.split("/")) if (segment === "." || segment === "..") return segment;
    if (!text.includes("%")) return null;
    let decoded: string;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      return null; // a lone % is a literal character: no layer can decode it
    }
    if (decoded === text) return null;
    text = decoded;
  }
  return null;
}

function problem(reason: PathProblem, message: string): PathCheck {
  return { ok: false, reason, message };
}

/**
 * Bucket names: a lowercase letter or digit, then lowercase letters, digits, `-` or `_`, at most
 * 63 characters. They appear in URLs and R2 keys, so they never hold `/` or `.`.
 */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

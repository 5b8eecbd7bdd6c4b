import { ApiError } from "../../core/errors";

/** What a list cursor carries: the sort it belongs to and the last row's sort values and id. */
export interface ListCursor {
  sort: string;
  values: unknown[];
  id: string;
}

/** Cursors are opaque to clients: base64url of a small JSON array. */
export function encodeCursor(cursor: ListCursor): string {
  const json = JSON.stringify([cursor.sort, cursor.values, cursor.id]);
  const bytes = new TextEncoder().encode(json);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Decodes a cursor and checks it belongs to this query's sort.
 *
 * @throws {ApiError} `invalid_request` for a cursor that is malformed or from another sort.
 */
export function decodeCursor(text: string, sort: string, termCount: number): ListCursor {
  const invalid = () =>
    new ApiError(
      "invalid_request",
      "The cursor is not valid for this query. Pass next_cursor back unchanged, with the same sort.",
    );
  let parsed: unknown;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    parsed = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [cursorSort, values, id] = parsed as [unknown, unknown, unknown];
  if (cursorSort !== sort || typeof id !== "string" || !Array.isArray(values) || values.length !== termCount) {
    throw invalid();
  }
  if (!values.every((v) => v === null || typeof v === "number" || typeof v === "string")) throw invalid();
  return { sort, values, id };
}

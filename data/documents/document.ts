import { z } from "zod";
import { MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH } from "../../core/documents/limits";
import type { DocumentData, StoredDocument } from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import { utf8Length } from "../../core/utf8";

export type { DocumentData, StoredDocument } from "../../core/documents/wire";

/** A row of the documents table. */
export interface DocumentRow {
  id: string;
  data: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Turns a row into the wire shape. `data` was validated before it was written. */
export function toDocument(row: DocumentRow): StoredDocument {
  return {
    id: row.id,
    data: JSON.parse(row.data) as DocumentData,
    version: row.version,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const isObject = (value: unknown): value is DocumentData =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The body's `data`: a JSON object no deeper than `MAX_DOCUMENT_DEPTH`. The body came from
 * `JSON.parse`, so every value inside is JSON already; the depth is checked without recursion
 * so a hostile `[[[[…` cannot exhaust the stack. Size is checked on the final document.
 */
export const DataObject = z
  .custom<DocumentData>(isObject, "data must be a JSON object")
  .refine((value) => !nestedDeeperThan(value, MAX_DOCUMENT_DEPTH), {
    message: `data may nest objects and arrays at most ${MAX_DOCUMENT_DEPTH} levels deep`,
  })
  // What the OpenAPI document says of it (a custom check has no JSON Schema of its own).
  .meta({ type: "object", description: `A JSON object, nested at most ${MAX_DOCUMENT_DEPTH} levels deep.` });

function nestedDeeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (typeof value !== "object" || value === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Checks a document about to be written and returns its JSON text. Runs on the final data
 * (after merges and field operators), which is what is stored.
 *
 * @throws {ApiError} `payload_too_large` over `MAX_DOCUMENT_BYTES`; `invalid_request` when nested
 * deeper than `MAX_DOCUMENT_DEPTH`.
 */
export function serializeDocument(data: DocumentData): string {
  if (nestedDeeperThan(data, MAX_DOCUMENT_DEPTH)) {
    throw new ApiError(
      "invalid_request",
      `The document nests objects and arrays more than ${MAX_DOCUMENT_DEPTH} levels deep.`,
      { max_depth: MAX_DOCUMENT_DEPTH },
    );
  }
  const text = JSON.stringify(data);
  const bytes = utf8Length(text);
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new ApiError(
      "payload_too_large",
      `The document is ${bytes} bytes of JSON, over the limit of ${MAX_DOCUMENT_BYTES}. Store large content in storage and keep a reference in the document.`,
      { bytes, max_bytes: MAX_DOCUMENT_BYTES },
    );
  }
  return text;
}

/**
 * Parses an `If-Match` header: a version as `3`, `"3"` or `W/"3"`. Absent means no precondition.
 *
 * @throws {ApiError} `invalid_request` when present but not a version.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = header.trim().match(/^(?:W\/)?"?(\d{1,15})"?$/);
  if (!match) {
    throw new ApiError(
      "invalid_request",
      `If-Match must be a document version such as "3", got ${JSON.stringify(header)}.`,
    );
  }
  return Number(match[1]);
}

/** The ETag of a document version, as sent in the `ETag` header. */
export const etagOf = (version: number) => `"${version}"`;

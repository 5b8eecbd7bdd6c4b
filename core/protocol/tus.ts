/**
 * The tus 1.0.0 resumable upload protocol (https://tus.io/protocols/resumable-upload) as the
 * storage API speaks it: the header names, the extensions the server supports, and the
 * `Upload-Metadata` encoding. Shared by the Worker's routes and the SDK's tus client, so both
 * sides spell the protocol the same way.
 */

import type { FileRecord } from "../files/wire.js";

export const TUS_VERSION = "1.0.0";

/** The extensions the server implements, as `Tus-Extension` lists them. */
export const TUS_EXTENSIONS = ["creation", "creation-with-upload", "termination", "expiration"] as const;

/** The only content type a PATCH (or a POST with an upload) may carry. */
export const TUS_CONTENT_TYPE = "application/offset+octet-stream";

/** Request headers a tus client sends: a browser may only send them when CORS allows them. */
export const TUS_REQUEST_HEADERS = [
  "Tus-Resumable",
  "Upload-Length",
  "Upload-Offset",
  "Upload-Metadata",
  "Upload-Defer-Length",
  "Upload-Concat",
  "X-HTTP-Method-Override",
  "X-Requested-With",
] as const;

/** Response headers a tus client reads: a browser only shows them to scripts when CORS exposes them. */
export const TUS_RESPONSE_HEADERS = [
  "Location",
  "Tus-Resumable",
  "Tus-Version",
  "Tus-Extension",
  "Tus-Max-Size",
  "Upload-Offset",
  "Upload-Length",
  "Upload-Metadata",
  "Upload-Expires",
] as const;

/**
 * `GET` on an upload (a Flarebase addition; tus clients use HEAD): where it stands, and the file
 * once it is complete.
 */
export interface UploadView {
  id: string;
  bucket: string;
  /** The final file's path. */
  path: string;
  content_type: string;
  /** `Upload-Length`. */
  length: number;
  /** Bytes stored so far (`Upload-Offset`). */
  offset: number;
  /** True once the file is stored and listed. */
  complete: boolean;
  /** When an unfinished upload expires (ISO-8601 UTC); null once complete. */
  expires_at: string | null;
  file: FileRecord | null;
}

/** Keys of `Upload-Metadata` that carry the final file's path, in order of preference. */
export const PATH_METADATA_KEYS = ["path", "filename", "name"] as const;
/** Keys of `Upload-Metadata` that carry the final file's content type, in order of preference. */
export const CONTENT_TYPE_METADATA_KEYS = ["contentType", "content_type", "filetype", "type"] as const;

/** Metadata keys are ASCII without spaces or commas (tus 1.0.0, Upload-Metadata). */
const METADATA_KEY = /^[!-+\--~]+$/;

/**
 * Parses an `Upload-Metadata` header: comma-separated `key base64value` pairs (the value may be
 * absent). Returns null when the header is malformed: a bad key, a repeated key, or a value that
 * is not base64 of UTF-8 text.
 */
export function parseUploadMetadata(header: string | null): Record<string, string> | null {
  const metadata: Record<string, string> = {};
  if (header === null || header.trim() === "") return metadata;
  for (const pair of header.split(",")) {
    const [key, value, extra] = pair.trim().split(" ");
    if (key === undefined || !METADATA_KEY.test(key) || extra !== undefined || Object.hasOwn(metadata, key)) {
      return null;
    }
    const decoded = value === undefined || value === "" ? "" : decodeBase64Utf8(value);
    if (decoded === null) return null;
    metadata[key] = decoded;
  }
  return metadata;
}

/** Encodes metadata as an `Upload-Metadata` header (values as base64 of their UTF-8 bytes). */
export function formatUploadMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key} ${encodeBase64Utf8(value)}`)
    .join(",");
}

/** The first of `keys` present in `metadata`. */
export function metadataValue(metadata: Record<string, string>, keys: readonly string[]): string | undefined {
  for (const key of keys) if (Object.hasOwn(metadata, key)) return metadata[key];
  return undefined;
}

function encodeBase64Utf8(value: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function decodeBase64Utf8(value: string): string | null {
  try {
    const binary = atob(value);
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

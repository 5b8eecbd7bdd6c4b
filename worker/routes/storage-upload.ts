import type { Context } from "hono";
import { ApiError } from "../../core/errors";
import type { BucketRecord, FileMetadata, FileRecord, StorageUsage } from "../../core/files/wire";
import { parseJsonText } from "../../core/json-limits";
import type { FileAccess } from "../../data/files/access";
import { commitFile, type FileRow, type FileWrite, fileAttributes } from "../../data/files/files";
import { newObjectKey } from "../../data/files/object-key";
import { checkQuota } from "../../data/files/usage";
import type { AppEnv } from "../app-env";

/** Largest single upload: R2's limit for one PUT (about 4.995 GiB). Beyond it, use tus. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3 - 5 * 1024 ** 2;
/** Custom metadata limits: R2 keeps at most 8,192 bytes of it; we keep less, in D1. */
export const MAX_METADATA_BYTES = 2048;
const MAX_METADATA_KEYS = 32;
const METADATA_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Checks custom metadata: an object of at most 32 string values under simple keys, at most
 * 2 KiB as JSON.
 *
 * @throws {ApiError} `invalid_request`.
 */
export function checkMetadata(value: unknown, where: string): FileMetadata {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError("invalid_request", `${where} must be a JSON object of string values.`);
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_METADATA_KEYS) {
    throw new ApiError("invalid_request", `${where} holds more than ${MAX_METADATA_KEYS} keys.`);
  }
  for (const [key, item] of entries) {
    if (!METADATA_KEY.test(key) || typeof item !== "string") {
      throw new ApiError(
        "invalid_request",
        `${where}: keys are 1-64 letters, digits, _ or -, values strings ("${key}" is not).`,
      );
    }
  }
  if (new TextEncoder().encode(JSON.stringify(value)).length > MAX_METADATA_BYTES) {
    throw new ApiError("invalid_request", `${where} is larger than ${MAX_METADATA_BYTES} bytes as JSON.`);
  }
  return value as FileMetadata;
}

/** `X-Flarebase-Metadata: {"alt":"a cat"}` (JSON; non-ASCII as \u escapes, as headers are bytes). */
function metadataFromHeader(header: string | undefined): FileMetadata {
  if (!header) return {};
  const json = parseJsonText(header);
  if (!json.ok) throw new ApiError("invalid_request", "X-Flarebase-Metadata must be a JSON object of string values.");
  return checkMetadata(json.value, "X-Flarebase-Metadata");
}

/** `text/plain; charset=utf-8` → `text/plain` for the allow list (the stored type keeps its parameters). */
const mediaType = (contentType: string) => (contentType.split(";")[0] as string).trim().toLowerCase();

/** True when the bucket accepts this content type (`image/*` accepts every image). */
export function contentTypeAllowed(bucket: BucketRecord, contentType: string): boolean {
  if (bucket.allowed_content_types === null) return true;
  const type = mediaType(contentType);
  return bucket.allowed_content_types.some((allowed) => {
    const pattern = allowed.toLowerCase();
    return pattern.endsWith("/*") ? type.startsWith(pattern.slice(0, -1)) : type === pattern;
  });
}

/**
 * The declared size of an upload, checked against every limit before a byte is read: present
 * (R2 needs a known length to stream), a plain number, within the bucket's `max_file_bytes` and
 * the single-PUT limit.
 *
 * @throws {ApiError} `invalid_request` (411) without `Content-Length`; `file_too_large` (413).
 */
export function declaredSize(c: Context<AppEnv>, bucket: BucketRecord): number {
  const header = c.req.header("Content-Length");
  if (header === undefined || !/^\d{1,16}$/.test(header)) {
    throw new ApiError(
      "invalid_request",
      "Uploads need a Content-Length header (the size in bytes). For a stream of unknown length, use a resumable upload.",
      undefined,
      { status: 411 },
    );
  }
  const size = Number(header);
  const limit = Math.min(bucket.max_file_bytes ?? MAX_PUT_BYTES, MAX_PUT_BYTES);
  if (size > limit) {
    throw new ApiError("file_too_large", `The file is ${size} bytes; this bucket accepts at most ${limit}.`, {
      size,
      max_file_bytes: limit,
    });
  }
  return size;
}

export interface UploadRequest {
  projectId: string;
  bucket: BucketRecord;
  path: string;
  access: FileAccess;
  /** The uploading end user, or null for an API key or a signed URL. */
  uploadedBy: string | null;
  /** A signed URL: the signer's grant replaces the rules. */
  signed: boolean;
  /** The file now at the path (read with the bucket), or null. */
  row: FileRow | null;
  /** The project's usage and quota (read with the bucket: `resolveFileCaller(…, { upload: true })`). */
  usage: StorageUsage | null;
}

/**
 * Stores one upload: checks size, type, rules (on what the file will be), `If-Match` /
 * `If-None-Match` and the quota, all before reading the body; then streams the body into R2 under
 * a key of this upload's own; then, only once R2 holds the bytes, writes the row (with
 * `If-Match` / `If-None-Match` checked again, so a concurrent replace cannot slip between the
 * check and the write). A body that ends early or runs long fails the R2 put, so nothing is
 * stored and nothing listed.
 *
 * @throws {ApiError} `file_too_large`, `unsupported_media_type`, `forbidden`, `not_found` (hidden
 * by the read rule), `precondition_failed`, `quota_exceeded`, `invalid_request`.
 */
export async function storeUpload(
  c: Context<AppEnv>,
  request: UploadRequest,
): Promise<{ file: FileRecord; created: boolean }> {
  const { projectId, bucket, path, access } = request;
  const size = declaredSize(c, bucket);
  const contentType = c.req.header("Content-Type")?.trim() || "application/octet-stream";
  if (!contentTypeAllowed(bucket, contentType)) {
    throw new ApiError("unsupported_media_type", `Bucket "${bucket.name}" does not accept ${mediaType(contentType)}.`, {
      content_type: contentType,
      allowed_content_types: bucket.allowed_content_types,
    });
  }
  const metadata = metadataFromHeader(c.req.header("X-Flarebase-Metadata"));
  const existing = request.row;
  if (!request.signed && existing && access.hides(fileAttributes(existing))) {
    throw new ApiError("not_found", `No file at "${path}".`, { path });
  }
  const ifMatch = c.req.header("If-Match");
  const ifNoneMatch = c.req.header("If-None-Match");
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
    throw new ApiError("invalid_request", "If-None-Match on an upload must be * (create only).");
  }
  if (ifNoneMatch !== undefined && existing) {
    throw new ApiError("precondition_failed", `A file exists at "${path}" (If-None-Match: *).`, {
      path,
      etag: existing.etag,
    });
  }
  const expected = ifMatch
    ?.trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1");
  if (expected !== undefined && (!existing || (expected !== "*" && expected !== existing.etag))) {
    throw new ApiError("precondition_failed", `The file at "${path}" does not have the ETag If-Match names.`, {
      path,
      etag: existing?.etag ?? null,
    });
  }
  if (!request.signed) {
    access.assert(existing ? "update" : "create", { path, size, content_type: contentType, metadata });
  }
  if (!request.usage) throw new Error("storeUpload: the usage was not read (resolveFileCaller needs upload: true).");
  checkQuota(request.usage, size, existing?.size ?? 0);

  // The bytes go to a key of this upload's own and become the file only when the row names them
  // (commitFile): a delete or another upload of the path racing this one never removes bytes a
  // row names. If-Match / If-None-Match are checked again there, atomically with the write.
  const body = c.req.raw.body ?? new Uint8Array(0);
  const key = newObjectKey(projectId, bucket.name, path);
  let stored: R2Object;
  try {
    stored = await c.env.BUCKET.put(key, body, { httpMetadata: { contentType } });
  } catch (error) {
    // The stream failed (the client went away, or sent fewer or more bytes than it declared):
    // R2 keeps no partial object, and no row was written.
    throw new ApiError(
      "invalid_request",
      `The upload did not arrive whole (${size} bytes declared): nothing was stored.`,
      { declared_bytes: size },
      { cause: error },
    );
  }
  if (stored.size !== size) {
    // Cannot happen with a Content-Length body; never record a size the bytes do not have.
    await c.env.BUCKET.delete(key);
    throw new ApiError("invalid_request", `The upload declared ${size} bytes and sent ${stored.size}.`);
  }
  let only: FileWrite["only"];
  if (ifNoneMatch !== undefined) only = "absent";
  else if (expected !== undefined && existing) only = { etag: existing.etag };
  return commitFile(
    c.env.DB,
    c.env.BUCKET,
    {
      projectId,
      bucket: bucket.name,
      path,
      size,
      contentType,
      etag: stored.etag,
      metadata,
      uploadedBy: request.uploadedBy,
      objectKey: key,
      objectUploaded: stored.uploaded,
      ...(only ? { only } : {}),
    },
    new URL(c.req.url).origin,
  );
}

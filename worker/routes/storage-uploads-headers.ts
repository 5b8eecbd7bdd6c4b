import type { Context } from "hono";
import { ApiError } from "../../core/errors";
import { checkFilePath } from "../../core/files/path";
import type { BucketRecord, FileMetadata } from "../../core/files/wire";
import {
  CONTENT_TYPE_METADATA_KEYS,
  metadataValue,
  PATH_METADATA_KEYS,
  parseUploadMetadata,
  TUS_CONTENT_TYPE,
} from "../../core/protocol/tus";
import { MAX_UPLOAD_BYTES } from "../../durable-objects/upload/upload-plan";
import type { AppEnv } from "../app-env";
import { checkMetadata, contentTypeAllowed } from "./storage-upload";

/**
 * What a tus request says in its headers, read and checked before the upload object is asked
 * anything: the final file (from `Upload-Metadata`) against the bucket's limits, the lengths and
 * offsets, the chunk's content type.
 */

/** Longest `Upload-Metadata` header accepted (R2's own metadata limit, as a yardstick). */
const MAX_METADATA_HEADER_BYTES = 8192;
/** `Upload-Metadata` keys that name the file and its type: the others are its custom metadata. */
const NAMING_KEYS: ReadonlySet<string> = new Set([...PATH_METADATA_KEYS, ...CONTENT_TYPE_METADATA_KEYS]);
/** The final file as the upload describes it, checked against the bucket's limits. */
export function describeFile(bucket: BucketRecord, rawMetadata: string | null, length: number) {
  if (rawMetadata !== null && new TextEncoder().encode(rawMetadata).length > MAX_METADATA_HEADER_BYTES) {
    throw new ApiError("invalid_request", `Upload-Metadata is longer than ${MAX_METADATA_HEADER_BYTES} bytes.`);
  }
  const metadata = parseUploadMetadata(rawMetadata);
  if (!metadata) {
    throw new ApiError(
      "invalid_request",
      "Upload-Metadata is malformed: comma-separated `key base64(value)` pairs, keys without spaces or commas, each once.",
    );
  }
  const rawPath = metadataValue(metadata, PATH_METADATA_KEYS);
  if (rawPath === undefined) {
    throw new ApiError(
      "invalid_request",
      "Name the file: put its path in Upload-Metadata as `path` (or `filename`), e.g. tus-js-client's metadata: { path: 'users/42/video.mp4' }.",
    );
  }
  const checked = checkFilePath(rawPath);
  if (!checked.ok) throw new ApiError("invalid_path", checked.message, { reason: checked.reason, path: rawPath });
  const contentType = metadataValue(metadata, CONTENT_TYPE_METADATA_KEYS) || "application/octet-stream";
  if (!contentTypeAllowed(bucket, contentType)) {
    throw new ApiError(
      "unsupported_media_type",
      `Bucket "${bucket.name}" does not accept ${contentType}; it accepts ${bucket.allowed_content_types?.join(", ")}.`,
      { content_type: contentType, allowed_content_types: bucket.allowed_content_types },
    );
  }
  if (bucket.max_file_bytes !== null && length > bucket.max_file_bytes) {
    throw new ApiError(
      "file_too_large",
      `The file is ${length} bytes; bucket "${bucket.name}" takes files up to ${bucket.max_file_bytes}.`,
      { size: length, max_file_bytes: bucket.max_file_bytes },
    );
  }
  const custom: FileMetadata = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!NAMING_KEYS.has(key)) custom[key] = value;
  }
  return {
    path: checked.path,
    content_type: contentType,
    metadata: checkMetadata(custom, "Upload-Metadata (besides path and content type)"),
    length,
  };
}

export function uploadLength(length: string | undefined, deferred: string | undefined): number {
  if (length === undefined) {
    throw new ApiError(
      "invalid_request",
      deferred === undefined
        ? "Send Upload-Length: the file's size in bytes."
        : "Deferred lengths (Upload-Defer-Length) are not supported: send Upload-Length.",
    );
  }
  const value = headerInteger(length, "Upload-Length");
  if (value > MAX_UPLOAD_BYTES) {
    throw new ApiError(
      "file_too_large",
      `Resumable uploads take files up to ${MAX_UPLOAD_BYTES} bytes (Tus-Max-Size).`,
      {
        size: value,
        max_bytes: MAX_UPLOAD_BYTES,
      },
    );
  }
  return value;
}

export function headerInteger(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new ApiError("invalid_request", `${name} must be a non-negative integer.`, { header: name });
  }
  return Number(value);
}

export function assertChunkType(contentType: string | undefined) {
  if (contentType?.split(";")[0]?.trim().toLowerCase() !== TUS_CONTENT_TYPE) {
    throw new ApiError("unsupported_media_type", `Upload chunks are sent as Content-Type: ${TUS_CONTENT_TYPE}.`, {
      content_type: contentType ?? null,
    });
  }
}

/** A POST carries a first chunk (creation-with-upload) when it has a non-empty body. */
export function hasBody(c: Context<AppEnv>): boolean {
  const length = c.req.header("Content-Length");
  if (length !== undefined) return Number(length) > 0;
  return c.req.raw.body !== null;
}

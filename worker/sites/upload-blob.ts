import type { Context } from "hono";
import { ApiError } from "../../core/errors";
import type { UploadedBlob } from "../../core/sites/wire";
import { newBlobKey, recordBlob } from "../../data/sites/blobs";
import { manifestSizeOf, missingHashes } from "../../data/sites/releases";
import type { AppEnv } from "../app-env";

/**
 * Stores the bytes of one hash a release names: streamed straight into R2, which checks them
 * against the SHA-256 (`put(…, { sha256 })`), so no blob ever holds bytes of another hash. A hash
 * the project already holds answers at once without reading the body.
 *
 * @throws {ApiError} `not_found` when the release does not name the hash; `invalid_request` (411)
 * without `Content-Length`, (400) when the size is not the manifest's or the bytes do not match.
 */
export async function uploadBlob(
  c: Context<AppEnv>,
  projectId: string,
  releaseId: string,
  hash: string,
): Promise<{ blob: UploadedBlob; created: boolean }> {
  const [size, missing] = await Promise.all([
    manifestSizeOf(c.env.DB, releaseId, hash),
    missingHashes(c.env.DB, projectId, [hash]),
  ]);
  if (size === null) {
    throw new ApiError("not_found", `The release names no file with hash ${hash}.`, { hash });
  }
  if (!missing.has(hash)) return { blob: { hash, size, created: false }, created: false };

  const header = c.req.header("Content-Length");
  if (header === undefined || !/^\d{1,16}$/.test(header)) {
    throw new ApiError("invalid_request", "Uploads need a Content-Length header (the size in bytes).", undefined, {
      status: 411,
    });
  }
  if (Number(header) !== size) {
    throw new ApiError(
      "invalid_request",
      `The manifest gives this hash ${size} bytes; the upload declares ${header}.`,
      {
        expected_bytes: size,
        declared_bytes: Number(header),
      },
    );
  }
  const key = newBlobKey(projectId, hash);
  try {
    await c.env.BUCKET.put(key, c.req.raw.body ?? new Uint8Array(0), { sha256: hash });
  } catch (error) {
    // A checksum mismatch, or a stream shorter or longer than declared: R2 keeps nothing.
    throw new ApiError(
      "invalid_request",
      `The bytes did not arrive whole, or their SHA-256 is not ${hash}: nothing was stored.`,
      { hash },
      { cause: error },
    );
  }
  let created: boolean;
  try {
    created = await recordBlob(c.env.DB, projectId, hash, size, key);
  } catch (error) {
    c.executionCtx.waitUntil(c.env.BUCKET.delete(key));
    throw error;
  }
  // Another upload of the same hash won the race: its bytes stay, ours go.
  if (!created) c.executionCtx.waitUntil(c.env.BUCKET.delete(key));
  return { blob: { hash, size, created }, created };
}

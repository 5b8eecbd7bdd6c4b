import { BASE36, randomString } from "../../core/random";

/**
 * Where a file's bytes live in R2: `files/<project>/<bucket>/<path>//<upload id>`, a key per
 * upload, which the file's row names (`object_key`). Project ids and bucket names never hold `/`
 * and paths (checked by `checkFilePath`) never hold `//`, so keys of different files, or of two
 * uploads of one file, never meet, and no path reaches another bucket's or project's prefix.
 * Replacing a file writes a new key and deletes the old one only after the row names the new
 * one; deleting removes the row first, then the key it named.
 */
export const FILES_KEY_PREFIX = "files/";

/** The R2 key for one upload of a file (its path must have passed `checkFilePath`). */
export function objectKey(projectId: string, bucket: string, path: string, uploadId: string): string {
  return `${FILES_KEY_PREFIX}${projectId}/${bucket}/${path}//${uploadId}`;
}

/** The R2 key for a new upload of a file, under a fresh random upload id. */
export function newObjectKey(projectId: string, bucket: string, path: string): string {
  return objectKey(projectId, bucket, path, randomString(16, BASE36));
}

/** The R2 key prefix of everything in one bucket (ends with `/`). */
export function bucketKeyPrefix(projectId: string, bucket: string): string {
  return `${FILES_KEY_PREFIX}${projectId}/${bucket}/`;
}

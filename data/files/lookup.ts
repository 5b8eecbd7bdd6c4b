import type { BucketRecord, StorageUsage } from "../../core/files/wire";
import { type BucketRow, bucketStatement, toBucket } from "./buckets";
import { type FileRow, fileRowStatement } from "./files";
import { usageStatement } from "./usage";

/** What a file request needs from D1 before it touches R2. */
export interface FileContext {
  bucket: BucketRecord | null;
  /** The file at the path asked for, or null (also when no path was asked for). */
  row: FileRow | null;
  /** The project's storage usage and quota when asked for (uploads), else null. */
  usage: StorageUsage | null;
}

/**
 * The bucket, the file at `path` (if given) and, for an upload, the project's storage usage, in
 * one D1 batch: a single round trip to the database, on every upload and download. Reads skip the
 * usage: only an upload checks the quota.
 */
export async function loadFileContext(
  db: D1Database,
  projectId: string,
  bucket: string,
  path: string | null,
  options: { usage: boolean },
): Promise<FileContext> {
  const statements = [bucketStatement(db, projectId, bucket)];
  if (path !== null) statements.push(fileRowStatement(db, projectId, bucket, path));
  if (options.usage) statements.push(usageStatement(db, projectId));
  const [buckets, ...rest] = await db.batch<unknown>(statements);
  const files = path !== null ? rest.shift() : undefined;
  const usages = options.usage ? rest.shift() : undefined;
  const bucketRow = buckets?.results[0] as BucketRow | undefined;
  return {
    bucket: bucketRow ? toBucket(bucketRow) : null,
    row: (files?.results[0] as FileRow | undefined) ?? null,
    usage: options.usage
      ? ((usages?.results[0] as StorageUsage | undefined) ?? { used_bytes: 0, file_count: 0, quota_bytes: null })
      : null,
  };
}

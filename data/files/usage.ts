import { ApiError } from "../../core/errors";
import type { StorageUsage } from "../../core/files/wire";

/** The statement that reads a project's usage row (for use inside a batch). */
export function usageStatement(db: D1Database, projectId: string) {
  return db
    .prepare("SELECT used_bytes, file_count, quota_bytes FROM storage_usage WHERE project_id = ?")
    .bind(projectId);
}

/** A project's storage totals and quota (zeros and no quota before its first file). */
export async function getStorageUsage(db: D1Database, projectId: string): Promise<StorageUsage> {
  const row = await usageStatement(db, projectId).first<StorageUsage>();
  return row ?? { used_bytes: 0, file_count: 0, quota_bytes: null };
}

/** Sets (or with null removes) a project's storage quota in bytes. */
export async function setStorageQuota(db: D1Database, projectId: string, quotaBytes: number | null) {
  const row = await db
    .prepare(
      `INSERT INTO storage_usage (project_id, quota_bytes) VALUES (?1, ?2)
       ON CONFLICT (project_id) DO UPDATE SET quota_bytes = excluded.quota_bytes
       RETURNING used_bytes, file_count, quota_bytes`,
    )
    .bind(projectId, quotaBytes)
    .first<StorageUsage>();
  return row as StorageUsage;
}

/**
 * Refuses an upload that would take the project past its quota, before a byte is read.
 * `replacedBytes` is the size of the file the upload replaces (it is freed by the upload).
 * Concurrent uploads each check against the usage committed so far, so together they can pass
 * the quota by at most what is in flight at once.
 *
 * @throws {ApiError} `quota_exceeded` (413) with `details: { quota_bytes, used_bytes, needed_bytes }`.
 */
export async function assertWithinQuota(
  db: D1Database,
  projectId: string,
  incomingBytes: number,
  replacedBytes = 0,
): Promise<void> {
  checkQuota(await getStorageUsage(db, projectId), incomingBytes, replacedBytes);
}

/**
 * `assertWithinQuota` on usage already read.
 *
 * @throws {ApiError} `quota_exceeded`.
 */
export function checkQuota(usage: StorageUsage, incomingBytes: number, replacedBytes = 0): void {
  if (usage.quota_bytes === null) return;
  if (usage.used_bytes - replacedBytes + incomingBytes <= usage.quota_bytes) return;
  throw new ApiError(
    "quota_exceeded",
    `The project's storage quota is ${usage.quota_bytes} bytes and ${usage.used_bytes} are used; this upload needs ${incomingBytes}.`,
    { quota_bytes: usage.quota_bytes, used_bytes: usage.used_bytes, needed_bytes: incomingBytes },
  );
}

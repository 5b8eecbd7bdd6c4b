import { BASE36, randomString } from "../../core/random";

/** Where site bytes live in R2: `sites/<project>/blobs/<sha-256>/<upload id>` (outside `files/`, so the file sweep never looks here). */
export const SITES_KEY_PREFIX = "sites/";

/**
 * A fresh R2 key for an upload of `hash`. Every upload gets its own key: collecting an unused
 * blob deletes the key its row named, never bytes a concurrent upload of the same hash just wrote.
 */
export function newBlobKey(projectId: string, hash: string): string {
  return `${SITES_KEY_PREFIX}${projectId}/blobs/${hash}/${randomString(10, BASE36)}`;
}

/** Pending releases older than this are deleted (a deploy that never activated). */
export const PENDING_RELEASE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Records a blob whose bytes R2 now holds at `objectKey`. When another upload recorded the same
 * hash first, that one stays and false is returned: the caller deletes its own bytes.
 */
export async function recordBlob(
  db: D1Database,
  projectId: string,
  hash: string,
  size: number,
  objectKey: string,
): Promise<boolean> {
  const inserted = await db
    .prepare(
      `INSERT INTO site_blobs (project_id, hash, size, object_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (project_id, hash) DO NOTHING`,
    )
    .bind(projectId, hash, size, objectKey, new Date().toISOString())
    .run();
  return inserted.meta.changes > 0;
}

/**
 * Deletes the blobs of a project that no release names any more (after a prune, a rollback's
 * prune or a site's deletion): first their rows, in one statement that re-checks the condition,
 * then exactly the R2 keys those rows named. A deploy that starts meanwhile either still sees the
 * row (and its release then names the hash, so the row was not deleted) or sees it gone and
 * uploads the bytes again under a new key.
 */
export async function collectUnusedBlobs(db: D1Database, bucket: R2Bucket, projectId: string): Promise<number> {
  const { results } = await db
    .prepare(
      `DELETE FROM site_blobs WHERE project_id = ?1
         AND NOT EXISTS (SELECT 1 FROM site_release_files f WHERE f.project_id = ?1 AND f.hash = site_blobs.hash)
       RETURNING object_key`,
    )
    .bind(projectId)
    .all<{ object_key: string }>();
  const keys = results.map((row) => row.object_key);
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
  return keys.length;
}

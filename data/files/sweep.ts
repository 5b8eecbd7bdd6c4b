import { FILES_KEY_PREFIX } from "./object-key";

/** Bytes younger than this are never swept: an upload in flight has them before its row. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export interface SweepResult {
  /** R2 objects looked at. */
  scanned: number;
  /**
   * Keys deleted because no file row names them (a failed commit, a crash between a row's change
   * and the delete of the bytes it stopped naming, a deleted bucket or project).
   */
  deleted: string[];
  /** Where the next run continues, or null after the last page. */
  cursor: string | null;
}

/**
 * Deletes R2 objects under `files/` that no file row names (`object_key`), older than
 * `ORPHAN_GRACE_MS`. Runs a page at a time (the scheduled handler passes the cursor it got last),
 * so a big bucket is swept over several runs without one run doing unbounded work. Rows without
 * bytes cannot arise (a row names only bytes already stored, and bytes are deleted only once no
 * row names them), so only this direction needs sweeping.
 */
export async function sweepOrphanObjects(
  db: D1Database,
  r2: R2Bucket,
  options: { cursor?: string | null; limit?: number; now?: number } = {},
): Promise<SweepResult> {
  const now = options.now ?? Date.now();
  const listed = await r2.list({
    prefix: FILES_KEY_PREFIX,
    limit: options.limit ?? 500,
    ...(options.cursor ? { cursor: options.cursor } : {}),
  });
  const candidates = listed.objects
    .filter((object) => now - object.uploaded.getTime() > ORPHAN_GRACE_MS)
    .map((object) => object.key);
  const named = new Set<string>();
  // One query per 100 keys (the unique index on object_key answers it).
  for (let i = 0; i < candidates.length; i += 100) {
    const { results } = await db
      .prepare("SELECT object_key FROM files WHERE object_key IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify(candidates.slice(i, i + 100)))
      .all<{ object_key: string }>();
    for (const row of results) named.add(row.object_key);
  }
  const orphans = candidates.filter((key) => !named.has(key));
  for (let i = 0; i < orphans.length; i += 1000) await r2.delete(orphans.slice(i, i + 1000));
  return {
    scanned: listed.objects.length,
    deleted: orphans,
    cursor: listed.truncated ? listed.cursor : null,
  };
}

import { FILES_KEY_PREFIX, parseObjectKey } from "./object-key";

/** Bytes younger than this are never swept: an upload in flight has them before its row. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export interface SweepResult {
  /** R2 objects looked at. */
  scanned: number;
  /** Keys deleted because no file row names them (a failed commit, a crash, a deleted project). */
  deleted: string[];
  /** Where the next run continues, or null after the last page. */
  cursor: string | null;
}

/**
 * Deletes R2 objects under `files/` that no file row names, older than `ORPHAN_GRACE_MS`. Runs a
 * page at a time (the scheduled handler passes the cursor it got last), so a big bucket is swept
 * over several runs without one run doing unbounded work. Rows without bytes cannot arise (rows
 * are written after the bytes and deleted before them), so only this direction needs sweeping.
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
  const candidates = listed.objects.filter((object) => now - object.uploaded.getTime() > ORPHAN_GRACE_MS);
  const parsed = candidates.map((object) => ({ key: object.key, parts: parseObjectKey(object.key) }));
  const known = new Set<string>();
  // One query per page: every (project, bucket, path) of the page that has a row.
  const named = parsed.filter((entry) => entry.parts !== null);
  for (let i = 0; i < named.length; i += 100) {
    const chunk = named.slice(i, i + 100).map((entry) => entry.parts);
    const { results } = await db
      .prepare(
        `SELECT f.project_id, f.bucket, f.path FROM files f
         JOIN json_each(?1) j ON f.project_id = j.value ->> '$[0]' AND f.bucket = j.value ->> '$[1]' AND f.path = j.value ->> '$[2]'`,
      )
      .bind(JSON.stringify(chunk.map((parts) => [parts?.projectId, parts?.bucket, parts?.path])))
      .all<{ project_id: string; bucket: string; path: string }>();
    for (const row of results) known.add(`${FILES_KEY_PREFIX}${row.project_id}/${row.bucket}/${row.path}`);
  }
  const orphans = parsed.filter((entry) => !known.has(entry.key)).map((entry) => entry.key);
  for (let i = 0; i < orphans.length; i += 1000) await r2.delete(orphans.slice(i, i + 1000));
  return {
    scanned: listed.objects.length,
    deleted: orphans,
    cursor: listed.truncated ? listed.cursor : null,
  };
}

import { sweepOrphanObjects } from "../../data/files/sweep";

/** Where the sweep keeps its place between runs (outside `files/`, so it is never swept). */
const SWEEP_CURSOR_KEY = "system/storage-sweep-cursor";
/** Pages of 500 objects one run looks at, so a run stays well within its CPU time. */
const PAGES_PER_RUN = 10;

/**
 * The scheduled orphan sweep (wrangler.toml `[triggers]`): removes R2 bytes that no file row
 * names (an upload whose row write failed, a delete interrupted between row and bytes, a deleted
 * bucket or project), continuing where the previous run stopped and starting over at the end.
 */
export async function sweepStorage(env: Env): Promise<{ scanned: number; deleted: number }> {
  const saved = await env.BUCKET.get(SWEEP_CURSOR_KEY);
  let cursor = saved ? await saved.text() : null;
  let scanned = 0;
  let deleted = 0;
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const result = await sweepOrphanObjects(env.DB, env.BUCKET, { cursor });
    scanned += result.scanned;
    deleted += result.deleted.length;
    cursor = result.cursor;
    if (cursor === null) break;
  }
  if (cursor === null) await env.BUCKET.delete(SWEEP_CURSOR_KEY);
  else await env.BUCKET.put(SWEEP_CURSOR_KEY, cursor);
  return { scanned, deleted };
}

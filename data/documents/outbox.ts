import type { Change, ChangePage } from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import { getCollectionSettings } from "./collection-settings";

interface ChangeRow {
  seq: number;
  op: Change["op"];
  doc_id: string;
  data: string | null;
  old_data: string | null;
  created_at: string;
}

/**
 * Changes after `since` are gone (pruned by retention): whoever asked missed changes it can no
 * longer get, and must re-read the collection.
 */
export interface ChangesPruned {
  pruned: true;
  since: number;
  /** The first seq still held (the last pruned one plus one). */
  oldest_seq: number;
  /** The collection's last seq. */
  last_seq: number;
}

/** What reading the change feed finds: a page of changes, or that the ones asked for were pruned. */
export type ChangesRead = { pruned: false; page: ChangePage } | ChangesPruned;

/**
 * Changes of a collection with `seq > since`, oldest first. The head of the sequence and the
 * page are read in one batch, so they agree. Pruned changes are a value, not an error: a REST
 * caller answers `410 changes_pruned` ({@link changesPrunedError}), a watcher tells its
 * subscribers to resync.
 */
export async function readChanges(
  db: D1Database,
  projectId: string,
  collection: string,
  since: number,
  limit: number,
): Promise<ChangesRead> {
  const [head, page] = await db.batch([
    db
      .prepare("SELECT seq, pruned_through FROM collection_sequences WHERE project_id = ? AND collection = ?")
      .bind(projectId, collection),
    db
      .prepare(
        `SELECT seq, op, doc_id, data, old_data, created_at FROM outbox
         WHERE project_id = ? AND collection = ? AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .bind(projectId, collection, since, limit + 1),
  ]);
  const sequence = (head?.results[0] as { seq: number; pruned_through: number } | undefined) ?? {
    seq: 0,
    pruned_through: 0,
  };
  if (since < sequence.pruned_through) {
    return { pruned: true, since, oldest_seq: sequence.pruned_through + 1, last_seq: sequence.seq };
  }
  const rows = (page?.results ?? []) as ChangeRow[];
  const items = rows.slice(0, limit).map(toChange);
  const more = rows.length > limit;
  return {
    pruned: false,
    page: { items, next_cursor: more ? String(items.at(-1)?.seq) : null, last_seq: sequence.seq },
  };
}

/** The REST answer to pruned changes: `410 changes_pruned`, with where the feed goes on. */
export function changesPrunedError(collection: string, pruned: ChangesPruned): ApiError {
  const { since, oldest_seq, last_seq } = pruned;
  return new ApiError(
    "changes_pruned",
    `Changes ${since + 1} to ${oldest_seq - 1} of collection "${collection}" were pruned (retention). Re-read the collection, then follow changes from seq ${last_seq}.`,
    { since, oldest_available_seq: oldest_seq, last_seq },
  );
}

function toChange(row: ChangeRow): Change {
  return {
    seq: row.seq,
    op: row.op,
    id: row.doc_id,
    data: row.data === null ? null : (JSON.parse(row.data) as Change["data"]),
    old_data: row.old_data === null ? null : (JSON.parse(row.old_data) as Change["old_data"]),
    created_at: row.created_at,
  };
}

/** Pruning runs when a collection's sequence crosses a multiple of this (about 1 write in 100). */
export const PRUNE_EVERY = 100;

/** True when a write that moved the sequence from `seq - count` to `seq` should prune. */
export function shouldPrune(seq: number, count: number): boolean {
  return Math.floor(seq / PRUNE_EVERY) > Math.floor((seq - count) / PRUNE_EVERY);
}

/**
 * Deletes the changes that fall outside the collection's retention: all but the newest
 * `max_changes`, and those older than `max_age_seconds`. The sequence counter is untouched, so
 * numbering goes on without reuse; `pruned_through` records the last pruned number first, in the
 * same batch, so a reader is never handed a silent gap.
 */
export async function pruneChanges(db: D1Database, projectId: string, collection: string, now = Date.now()) {
  const { retention } = await getCollectionSettings(db, projectId, collection);
  const cutoff = new Date(now - retention.max_age_seconds * 1000).toISOString();
  await db.batch([
    db
      .prepare(
        `UPDATE collection_sequences SET pruned_through = max(pruned_through, coalesce((
           SELECT max(o.seq) FROM outbox o
           WHERE o.project_id = ?1 AND o.collection = ?2 AND (o.seq <= collection_sequences.seq - ?3 OR o.created_at < ?4)
         ), 0))
         WHERE project_id = ?1 AND collection = ?2`,
      )
      .bind(projectId, collection, retention.max_changes, cutoff),
    db
      .prepare(
        `DELETE FROM outbox WHERE project_id = ?1 AND collection = ?2 AND seq <= (
           SELECT pruned_through FROM collection_sequences WHERE project_id = ?1 AND collection = ?2)`,
      )
      .bind(projectId, collection),
  ]);
}

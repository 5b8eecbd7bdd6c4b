import type {
  ChangesFrame,
  ResyncRequiredFrame,
  SnapshotEndFrame,
  SnapshotFrame,
  SyncedFrame,
  WatchEvent,
  WatchedDocument,
} from "../../core/protocol/watcher";
import { type Json, jsonArray, serializeFrame, splicedFrame, splitFrames } from "../hub/frames";
import type { SnapshotResult } from "./watcher-snapshot";

/**
 * The watcher's own server frames (docs/live-queries.md), built in one place from their schemas
 * (core/protocol/watcher.ts; see hub/frames.ts). `changes` and `snapshot` frames are coalesced
 * from serialized items.
 */

/** A `synced` frame: the connection holds every change through `seq` (`ref` answers a `sync`). */
export function syncedFrame(ref: number | null, seq: number): string {
  return serializeFrame<typeof SyncedFrame>({ type: "synced", ref, seq });
}

/** The `snapshot_end` frame closing a snapshot (`ref` answers a `snapshot` request). */
export function snapshotEndFrame(ref: number | null, result: SnapshotResult): string {
  return serializeFrame<typeof SnapshotEndFrame>({
    type: "snapshot_end",
    ref,
    seq: result.seq,
    count: result.count,
    truncated: result.truncated,
  });
}

/** A `resync_required` frame for changes `since + 1`..`prunedThrough` that are gone. */
export function resyncFrame(reason: "too_old" | "reset", since: number, prunedThrough: number | null, seq: number) {
  const missed = reason === "too_old" && prunedThrough !== null;
  return serializeFrame<typeof ResyncRequiredFrame>({
    type: "resync_required",
    reason,
    since_seq: since,
    missed_from: missed ? since + 1 : null,
    missed_to: missed ? prunedThrough : null,
    seq,
  });
}

/** Serialized events (see watcher-events.ts) as `changes` frames of at most `maxItems` items and about `maxBytes`. */
export function changesFrames(events: readonly string[], maxItems: number, maxBytes: number): string[] {
  return splitFrames(events as readonly Json<WatchEvent>[], maxItems, maxBytes, (batch) =>
    splicedFrame<typeof ChangesFrame, "items">({ type: "changes" }, { items: jsonArray(batch) }),
  );
}

/** Serialized documents as `snapshot` frames (bounded as {@link changesFrames}). */
export function snapshotFrames(
  documents: readonly Json<WatchedDocument>[],
  maxItems: number,
  maxBytes: number,
): string[] {
  return splitFrames(documents, maxItems, maxBytes, (batch) =>
    splicedFrame<typeof SnapshotFrame, "items">({ type: "snapshot" }, { items: jsonArray(batch) }),
  );
}

/** The last part of a snapshot that drops documents (`removed`: their ids). */
export function snapshotRemovedFrame(removed: readonly string[]): string {
  return serializeFrame<typeof SnapshotFrame>({ type: "snapshot", items: [], removed: [...removed] });
}

/** A document of a snapshot, from its stored (serialized) data. */
export function watchedDocumentJson(id: string, data: string): Json<WatchedDocument> {
  return `{"id":${JSON.stringify(id)},"data":${data}}` as Json<WatchedDocument>;
}

import { messagesFrames } from "../hub/frames";
import type { SnapshotResult } from "./watcher-snapshot";
export function syncedFrame(ref: number | null, seq: number): string {
  return `{"v":1,"type":"synced","ref":${ref},"seq":${seq}}`;
}
export function snapshotEndFrame(ref: number | null, result: SnapshotResult): string {
  return `{"v":1,"type":"snapshot_end","ref":${ref},"seq":${result.seq},"count":${result.count},"truncated":${result.truncated}}`;
}
export function resyncFrame(reason: "too_old" | "reset", since: number, prunedThrough: number | null, seq: number) {
  const missed = reason === "too_old" && prunedThrough !== null;
  return JSON.stringify({
    v: 1,
    type: "resync_required",
    reason,
    since_seq: since,
    missed_from: missed ? since + 1 : null,
    missed_to: missed ? prunedThrough : null,
    seq,
  });
}
export function changesFrames(events: readonly string[], maxItems: number, maxBytes: number): string[] {
  return messagesFrames(events, maxItems, maxBytes, "changes");
}

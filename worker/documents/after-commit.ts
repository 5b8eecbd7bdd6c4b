import { watcherObjectName } from "../../core/protocol/watcher";
import { pruneChanges, shouldPrune } from "../../data/documents/outbox";
import type { CommittedWrites } from "../../data/documents/writes";

/**
 * Work that follows a commit without delaying the response: one change notification per
 * collection written, and outbox pruning when a collection's sequence crosses a pruning point.
 * Failures are logged, never surfaced: the writes are committed, and neither step is needed for
 * correctness (watchers read the outbox by sequence; a later write prunes again).
 */
export function afterCommit(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  projectId: string,
  committed: CommittedWrites,
): void {
  for (const [collection, seq] of committed.sequences) {
    waitUntil(
      notifyCollectionChanged(env, projectId, collection, seq).catch((error) =>
        console.error(`notifyCollectionChanged(${projectId}, ${collection}, ${seq}) failed:`, error),
      ),
    );
    if (shouldPrune(seq, committed.changes.get(collection) ?? 1)) {
      waitUntil(
        pruneChanges(env.DB, projectId, collection).catch((error) =>
          console.error(`pruneChanges(${projectId}, ${collection}) failed:`, error),
        ),
      );
    }
  }
}

/**
 * Tells the collection's watcher object that the collection's last change sequence is now `seq`,
 * so it delivers promptly. Delivery never depends on it, since the watcher reads the outbox by
 * sequence (a lost notification is made up by the next one, or by the watcher's catch-up alarm).
 */
async function notifyCollectionChanged(env: Env, projectId: string, collection: string, seq: number): Promise<void> {
  const namespace = env.COLLECTION_WATCHER;
  const stub = namespace.get(namespace.idFromName(watcherObjectName(projectId, collection)));
  await stub.notify(projectId, collection, seq);
}

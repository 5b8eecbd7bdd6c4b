import { watcherObjectName } from "../../core/protocol/watcher";

/**
 * Called once per collection after a write commits, with the collection's last change sequence,
 * through `executionCtx.waitUntil` so the response does not wait. It tells the collection's watcher
 * object to deliver promptly; delivery never depends on it, since the watcher reads the outbox by
 * sequence (a lost notification is made up by the next one, or by the watcher's catch-up alarm).
 */
export async function notifyCollectionChanged(
  env: Env,
  projectId: string,
  collection: string,
  seq: number,
): Promise<void> {
  const namespace = env.COLLECTION_WATCHER;
  const stub = namespace.get(namespace.idFromName(watcherObjectName(projectId, collection)));
  await stub.notify(projectId, collection, seq);
}

/**
 * Called once per collection after a write commits, with the collection's last change sequence,
 * through `executionCtx.waitUntil` so the response does not wait. The collection watcher uses it
 * to deliver promptly; delivery never depends on it, since watchers read the outbox by sequence.
 * A no-op until collection watchers exist.
 */
export async function notifyCollectionChanged(
  env: Env,
  projectId: string,
  collection: string,
  seq: number,
): Promise<void> {
  void env;
  void projectId;
  void collection;
  void seq;
}

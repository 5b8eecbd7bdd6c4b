import { loadManifest, type ServedFile } from "../../data/sites/serving";

/** Files the cache holds across manifests before it forgets the least recently used. */
const MAX_CACHED_FILES = 200_000;

/**
 * Release manifests by release id, in this isolate. A manifest never changes once written (a
 * release id is never reused), so an entry never needs to be invalidated, only evicted for room.
 * Concurrent requests for one release share one load.
 */
const manifests = new Map<string, Promise<Map<string, ServedFile>>>();
const sizes = new Map<string, number>();
let cachedFiles = 0;

export function manifestOf(db: D1Database, releaseId: string): Promise<Map<string, ServedFile>> {
  const cached = manifests.get(releaseId);
  if (cached) {
    // Map order is insertion order: re-inserting marks it as the most recently used.
    manifests.delete(releaseId);
    manifests.set(releaseId, cached);
    return cached;
  }
  const loading = loadManifest(db, releaseId);
  manifests.set(releaseId, loading);
  loading.then(
    (manifest) => {
      if (manifests.get(releaseId) !== loading) return;
      sizes.set(releaseId, manifest.size);
      cachedFiles += manifest.size;
      evict(releaseId);
    },
    () => {
      if (manifests.get(releaseId) === loading) manifests.delete(releaseId);
    },
  );
  return loading;
}

function evict(keep: string) {
  for (const id of manifests.keys()) {
    if (cachedFiles <= MAX_CACHED_FILES) return;
    if (id === keep) continue;
    manifests.delete(id);
    cachedFiles -= sizes.get(id) ?? 0;
    sizes.delete(id);
  }
}

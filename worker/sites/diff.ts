import { ApiError } from "../../core/errors";
import type { ManifestEntry, ReleaseDiff } from "../../core/sites/wire";
import { activeReleaseOf, missingHashes, releaseFiles } from "../../data/sites/releases";

/**
 * A manifest against the site's active release: the paths a deploy would add, change and remove,
 * and the hashes (with their bytes) it would upload.
 *
 * @throws {ApiError} `not_found` for no site.
 */
export async function diffManifest(
  db: D1Database,
  projectId: string,
  site: string,
  files: ManifestEntry[],
): Promise<ReleaseDiff> {
  const active = await activeReleaseOf(db, projectId, site);
  if (active === undefined) throw new ApiError("not_found", `No site named "${site}".`, { site });
  const [current, missing] = await Promise.all([
    active === null ? Promise.resolve([]) : releaseFiles(db, active),
    missingHashes(
      db,
      projectId,
      files.map((file) => file.hash),
    ),
  ]);
  const before = new Map(current.map((file) => [file.path, file.hash]));
  const now = new Set(files.map((file) => file.path));
  const added: string[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const file of files) {
    const hash = before.get(file.path);
    if (hash === undefined) added.push(file.path);
    else if (hash !== file.hash) changed.push(file.path);
    else unchanged++;
  }
  const sizes = new Map(files.map((file) => [file.hash, file.size]));
  const missingList = [...missing].sort();
  return {
    base_release_id: active,
    added,
    changed,
    removed: current.map((file) => file.path).filter((path) => !now.has(path)),
    unchanged,
    missing: missingList,
    missing_bytes: missingList.reduce((sum, hash) => sum + (sizes.get(hash) ?? 0), 0),
  };
}

import { ApiError } from "../../core/errors";
import { BASE36, randomString } from "../../core/random";
import type { ManifestEntry, ReleaseRecord, ReleaseStatus } from "../../core/sites/wire";
import { PENDING_RELEASE_TTL_MS } from "./blobs";

interface ReleaseRow {
  id: string;
  site: string;
  file_count: number;
  total_bytes: number;
  created_at: string;
  activated_at: string | null;
}

const COLUMNS = "id, site, file_count, total_bytes, created_at, activated_at";
/** Manifest rows are written this many to a statement (one JSON parameter each, well below D1's limits). */
const FILES_PER_STATEMENT = 1000;

const newReleaseId = () => `r${randomString(15, BASE36)}`;

function toRelease(row: ReleaseRow, activeReleaseId: string | null): ReleaseRecord {
  const status: ReleaseStatus =
    row.id === activeReleaseId ? "active" : row.activated_at === null ? "pending" : "inactive";
  return { ...row, status };
}

const noRelease = (id: string) => new ApiError("not_found", `No release "${id}" of this site.`, { release_id: id });

/** The active release's id of a site; `undefined` when there is no such site. */
export async function activeReleaseOf(db: D1Database, projectId: string, site: string) {
  const row = await db
    .prepare("SELECT active_release_id FROM sites WHERE project_id = ? AND name = ?")
    .bind(projectId, site)
    .first<{ active_release_id: string | null }>();
  return row ? row.active_release_id : undefined;
}

/** The files of release ?1 whose blob the project does not hold. */
const MISSING_SQL = `SELECT f.hash, f.size FROM site_release_files f WHERE f.release_id = ?1
  AND NOT EXISTS (SELECT 1 FROM site_blobs b WHERE b.project_id = f.project_id AND b.hash = f.hash)`;

/** The missing blobs of a release, each once, and their bytes. */
function missingStatement(db: D1Database, releaseId: string) {
  return db.prepare(`SELECT hash, MAX(size) AS size FROM (${MISSING_SQL}) GROUP BY hash ORDER BY hash`).bind(releaseId);
}

/**
 * Creates a pending release from a manifest (paths already checked and unique) and answers which
 * of its hashes the project lacks, in one D1 batch: a blob the answer does not list is named by
 * this release from then on, so collecting unused blobs can no longer remove it. Pending releases
 * of the site older than a day (deploys that never activated) go in the same batch.
 */
export async function createRelease(
  db: D1Database,
  projectId: string,
  site: string,
  files: ManifestEntry[],
): Promise<{ release: ReleaseRecord; missing: string[]; missing_bytes: number }> {
  const id = newReleaseId();
  const now = new Date();
  const createdAt = now.toISOString();
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const statements: D1PreparedStatement[] = [
    db
      .prepare(
        `DELETE FROM site_releases WHERE project_id = ? AND site = ? AND activated_at IS NULL AND created_at < ?`,
      )
      .bind(projectId, site, new Date(now.getTime() - PENDING_RELEASE_TTL_MS).toISOString()),
    db
      .prepare(
        "INSERT INTO site_releases (id, project_id, site, file_count, total_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .bind(id, projectId, site, files.length, totalBytes, createdAt),
  ];
  for (let i = 0; i < files.length; i += FILES_PER_STATEMENT) {
    const chunk = files.slice(i, i + FILES_PER_STATEMENT).map((f) => [f.path, f.hash, f.size, f.content_type]);
    statements.push(
      db
        .prepare(
          `INSERT INTO site_release_files (release_id, project_id, path, hash, size, content_type)
           SELECT ?1, ?2, j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]'
           FROM json_each(?3) j`,
        )
        .bind(id, projectId, JSON.stringify(chunk)),
    );
  }
  statements.push(missingStatement(db, id));
  const results = await db.batch<{ hash: string; size: number }>(statements);
  const missing = results.at(-1)?.results ?? [];
  return {
    release: toRelease(
      { id, site, file_count: files.length, total_bytes: totalBytes, created_at: createdAt, activated_at: null },
      null,
    ),
    missing: missing.map((row) => row.hash),
    missing_bytes: missing.reduce((sum, row) => sum + row.size, 0),
  };
}

/** The hashes of `hashes` the project holds no blob for. */
export async function missingHashes(db: D1Database, projectId: string, hashes: string[]): Promise<Set<string>> {
  const { results } = await db
    .prepare(
      `SELECT DISTINCT j.value AS hash FROM json_each(?2) j
       WHERE NOT EXISTS (SELECT 1 FROM site_blobs b WHERE b.project_id = ?1 AND b.hash = j.value)`,
    )
    .bind(projectId, JSON.stringify(hashes))
    .all<{ hash: string }>();
  return new Set(results.map((row) => row.hash));
}

/** A site's releases, newest first, with their status. @throws {ApiError} `not_found` for no site. */
export async function listReleases(db: D1Database, projectId: string, site: string): Promise<ReleaseRecord[]> {
  const [sites, releases] = await db.batch([
    db.prepare("SELECT active_release_id FROM sites WHERE project_id = ? AND name = ?").bind(projectId, site),
    db
      .prepare(`SELECT ${COLUMNS} FROM site_releases WHERE project_id = ? AND site = ? ORDER BY created_at DESC, id`)
      .bind(projectId, site),
  ]);
  const siteRow = sites?.results[0] as { active_release_id: string | null } | undefined;
  if (!siteRow) throw new ApiError("not_found", `No site named "${site}".`, { site });
  return ((releases?.results ?? []) as unknown as ReleaseRow[]).map((row) => toRelease(row, siteRow.active_release_id));
}

/** One release of a site. @throws {ApiError} `not_found`. */
export async function requireRelease(
  db: D1Database,
  projectId: string,
  site: string,
  id: string,
): Promise<ReleaseRecord> {
  const row = await db
    .prepare(
      `SELECT ${COLUMNS.split(", ")
        .map((c) => `r.${c}`)
        .join(", ")}, s.active_release_id
       FROM site_releases r JOIN sites s ON s.project_id = r.project_id AND s.name = r.site
       WHERE r.project_id = ? AND r.site = ? AND r.id = ?`,
    )
    .bind(projectId, site, id)
    .first<ReleaseRow & { active_release_id: string | null }>();
  if (!row) throw noRelease(id);
  const { active_release_id, ...release } = row;
  return toRelease(release, active_release_id);
}

/** A release's manifest, by path. */
export async function releaseFiles(db: D1Database, releaseId: string): Promise<ManifestEntry[]> {
  const { results } = await db
    .prepare("SELECT path, hash, size, content_type FROM site_release_files WHERE release_id = ? ORDER BY path")
    .bind(releaseId)
    .all<ManifestEntry>();
  return results;
}

/** The size a release's manifest gives `hash`, or null when the release does not name it. */
export async function manifestSizeOf(db: D1Database, releaseId: string, hash: string): Promise<number | null> {
  const row = await db
    .prepare("SELECT size FROM site_release_files WHERE release_id = ? AND hash = ? LIMIT 1")
    .bind(releaseId, hash)
    .first<{ size: number }>();
  return row ? row.size : null;
}

/**
 * Makes a release the one its site serves: one UPDATE of the site's pointer, so each request reads
 * either the previous release or this one, never a mix. Refused while a blob of the release is
 * missing. Prunes the site's activated releases beyond `keep_releases` in the same batch (the
 * active one always stays) and answers whether any went, so the caller collects their blobs.
 *
 * @throws {ApiError} `not_found`; `release_incomplete` (409) with `details.missing` (up to 100 hashes).
 */
export async function activateRelease(
  db: D1Database,
  projectId: string,
  site: string,
  id: string,
): Promise<{ release: ReleaseRecord; pruned: number }> {
  await requireRelease(db, projectId, site, id);
  const { results: missing } = await db
    .prepare(`SELECT DISTINCT hash FROM (${MISSING_SQL}) LIMIT 101`)
    .bind(id)
    .all<{ hash: string }>();
  if (missing.length > 0) {
    throw new ApiError(
      "release_incomplete",
      `The release names ${missing.length > 100 ? "more than 100" : missing.length} file(s) not uploaded yet; upload them, then activate again.`,
      { missing: missing.slice(0, 100).map((row) => row.hash) },
    );
  }
  const now = new Date().toISOString();
  const [, , pruned] = await db.batch([
    db
      .prepare("UPDATE site_releases SET activated_at = ? WHERE id = ? AND project_id = ? AND site = ?")
      .bind(now, id, projectId, site),
    db
      .prepare("UPDATE sites SET active_release_id = ?, updated_at = ? WHERE project_id = ? AND name = ?")
      .bind(id, now, projectId, site),
    db
      .prepare(
        `DELETE FROM site_releases WHERE project_id = ?1 AND site = ?2 AND activated_at IS NOT NULL AND id <> ?3
           AND id NOT IN (
             SELECT id FROM site_releases WHERE project_id = ?1 AND site = ?2 AND activated_at IS NOT NULL
             ORDER BY activated_at DESC, id LIMIT (SELECT keep_releases FROM sites WHERE project_id = ?1 AND name = ?2)
           )`,
      )
      .bind(projectId, site, id),
  ]);
  return { release: await requireRelease(db, projectId, site, id), pruned: pruned?.meta.changes ?? 0 };
}

/**
 * The release a rollback goes back to: the most recently active one other than the active one.
 *
 * @throws {ApiError} `not_found` when the site has none (never activated, or only once).
 */
export async function previousRelease(db: D1Database, projectId: string, site: string): Promise<string> {
  const active = await activeReleaseOf(db, projectId, site);
  if (active === undefined) throw new ApiError("not_found", `No site named "${site}".`, { site });
  const row = await db
    .prepare(
      `SELECT id FROM site_releases WHERE project_id = ? AND site = ? AND activated_at IS NOT NULL AND id IS NOT ?
       ORDER BY activated_at DESC, id LIMIT 1`,
    )
    .bind(projectId, site, active)
    .first<{ id: string }>();
  if (!row) {
    throw new ApiError("not_found", `Site "${site}" has no earlier release to roll back to.`, { site });
  }
  return row.id;
}

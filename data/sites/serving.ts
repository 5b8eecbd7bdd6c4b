/** What serving a site reads from D1: the site's state (per request) and a release's manifest (once). */

/** The site state a request needs: one row, read on every request (the active release may change at any time). */
export interface ServedSite {
  project_id: string;
  name: string;
  spa: number;
  not_found_page: string | null;
  clean_urls: number;
  active_release_id: string | null;
}

const COLUMNS = "s.project_id, s.name, s.spa, s.not_found_page, s.clean_urls, s.active_release_id";

/** A site by its default address. */
export function siteByName(db: D1Database, projectId: string, site: string): Promise<ServedSite | null> {
  return db
    .prepare(`SELECT ${COLUMNS} FROM sites s WHERE s.project_id = ? AND s.name = ?`)
    .bind(projectId, site)
    .first<ServedSite>();
}

/** The site a hostname is mapped to. */
export function siteByHostname(db: D1Database, hostname: string): Promise<ServedSite | null> {
  return db
    .prepare(
      `SELECT ${COLUMNS} FROM site_hostnames h JOIN sites s ON s.project_id = h.project_id AND s.name = h.site
       WHERE h.hostname = ?`,
    )
    .bind(hostname)
    .first<ServedSite>();
}

/** One file of a manifest as serving needs it: where its bytes are. */
export interface ServedFile {
  hash: string;
  size: number;
  content_type: string;
  /** The blob's R2 key; null only if the blob is gone (never for an activated release). */
  object_key: string | null;
}

/** A release's manifest by path (immutable: cache it as long as you like). */
export async function loadManifest(db: D1Database, releaseId: string): Promise<Map<string, ServedFile>> {
  const { results } = await db
    .prepare(
      `SELECT f.path, f.hash, f.size, f.content_type, b.object_key FROM site_release_files f
       LEFT JOIN site_blobs b ON b.project_id = f.project_id AND b.hash = f.hash
       WHERE f.release_id = ?`,
    )
    .bind(releaseId)
    .all<ServedFile & { path: string }>();
  return new Map(results.map(({ path, ...file }) => [path, file]));
}

/**
 * The releases a site served before its active one, newest first, each with the time it was
 * replaced (the activation of the release after it), for skew protection.
 */
export async function replacedReleases(
  db: D1Database,
  projectId: string,
  site: string,
  limit: number,
): Promise<{ id: string; replaced_at: string }[]> {
  const { results } = await db
    .prepare(
      `SELECT r.id, r.activated_at FROM site_releases r JOIN sites s ON s.project_id = r.project_id AND s.name = r.site
       WHERE r.project_id = ? AND r.site = ? AND r.activated_at IS NOT NULL
       ORDER BY (r.id = s.active_release_id) DESC, r.activated_at DESC LIMIT ?`,
    )
    .bind(projectId, site, limit + 1)
    .all<{ id: string; activated_at: string }>();
  return results
    .slice(1)
    .map((row, index) => ({ id: row.id, replaced_at: (results[index] as { activated_at: string }).activated_at }));
}

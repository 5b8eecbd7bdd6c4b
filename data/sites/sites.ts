import { ApiError } from "../../core/errors";
import type { SiteRecord, SiteSettings } from "../../core/sites/wire";

/** A site as stored: the record without `url`, which depends on the host it is asked from. */
export type StoredSite = Omit<SiteRecord, "url">;

export interface SiteRow {
  name: string;
  spa: number;
  not_found_page: string | null;
  clean_urls: number;
  keep_releases: number;
  active_release_id: string | null;
  created_at: string;
  updated_at: string;
  /** JSON array of the site's hostnames (aggregated by the query). */
  hostnames: string;
}

export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  spa: true,
  not_found_page: null,
  clean_urls: false,
  keep_releases: 10,
};

/** The columns of a site with its hostnames, over `sites s`. */
const SELECT_SITE = `SELECT s.name, s.spa, s.not_found_page, s.clean_urls, s.keep_releases, s.active_release_id,
    s.created_at, s.updated_at,
    (SELECT json_group_array(h.hostname) FROM (SELECT hostname FROM site_hostnames
       WHERE project_id = s.project_id AND site = s.name ORDER BY hostname) h) AS hostnames
  FROM sites s`;

export function toSite(row: SiteRow): StoredSite {
  return {
    name: row.name,
    spa: row.spa === 1,
    not_found_page: row.not_found_page,
    clean_urls: row.clean_urls === 1,
    keep_releases: row.keep_releases,
    active_release_id: row.active_release_id,
    hostnames: JSON.parse(row.hostnames) as string[],
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const notFound = (name: string) => new ApiError("not_found", `No site named "${name}".`, { site: name });

/** A project's site, or null. */
export async function getSite(db: D1Database, projectId: string, name: string): Promise<StoredSite | null> {
  const row = await db
    .prepare(`${SELECT_SITE} WHERE s.project_id = ? AND s.name = ?`)
    .bind(projectId, name)
    .first<SiteRow>();
  return row ? toSite(row) : null;
}

/**
 * A project's site.
 *
 * @throws {ApiError} `not_found`.
 */
export async function requireSite(db: D1Database, projectId: string, name: string): Promise<StoredSite> {
  const site = await getSite(db, projectId, name);
  if (!site) throw notFound(name);
  return site;
}

/** Every site of a project, by name (a project has few). */
export async function listSites(db: D1Database, projectId: string): Promise<StoredSite[]> {
  const { results } = await db
    .prepare(`${SELECT_SITE} WHERE s.project_id = ? ORDER BY s.name`)
    .bind(projectId)
    .all<SiteRow>();
  return results.map(toSite);
}

/**
 * Creates a site (no release yet: it answers 404 until the first activation).
 *
 * @throws {ApiError} `conflict` when the project has a site of that name.
 */
export async function createSite(
  db: D1Database,
  projectId: string,
  name: string,
  settings: SiteSettings,
): Promise<StoredSite> {
  const now = new Date().toISOString();
  const inserted = await db
    .prepare(
      `INSERT INTO sites (project_id, name, spa, not_found_page, clean_urls, keep_releases, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
       ON CONFLICT (project_id, name) DO NOTHING`,
    )
    .bind(projectId, name, ...settingsValues(settings), now)
    .run();
  if (inserted.meta.changes === 0) {
    throw new ApiError("conflict", `A site named "${name}" already exists.`, { site: name });
  }
  return { name, ...settings, active_release_id: null, hostnames: [], created_at: now, updated_at: now };
}

/**
 * Replaces a site's settings (the route merges a PATCH into the current ones first).
 *
 * @throws {ApiError} `not_found`.
 */
export async function updateSite(
  db: D1Database,
  projectId: string,
  name: string,
  settings: SiteSettings,
): Promise<StoredSite> {
  const updated = await db
    .prepare(
      `UPDATE sites SET spa = ?3, not_found_page = ?4, clean_urls = ?5, keep_releases = ?6, updated_at = ?7
       WHERE project_id = ?1 AND name = ?2`,
    )
    .bind(projectId, name, ...settingsValues(settings), new Date().toISOString())
    .run();
  if (updated.meta.changes === 0) throw notFound(name);
  return requireSite(db, projectId, name);
}

/**
 * Deletes a site with its releases and hostnames (by cascade); the blobs no other site names are
 * collected afterwards (`collectUnusedBlobs`).
 *
 * @throws {ApiError} `not_found`.
 */
export async function deleteSite(db: D1Database, projectId: string, name: string): Promise<void> {
  const deleted = await db.prepare("DELETE FROM sites WHERE project_id = ? AND name = ?").bind(projectId, name).run();
  if (deleted.meta.changes === 0) throw notFound(name);
}

function settingsValues(settings: SiteSettings) {
  return [settings.spa ? 1 : 0, settings.not_found_page, settings.clean_urls ? 1 : 0, settings.keep_releases] as const;
}

import { ApiError } from "../../core/errors";

/**
 * Maps a hostname to a site. A hostname serves one site of the whole deployment, so mapping one
 * that another site holds is refused (remove it there first).
 *
 * @throws {ApiError} `not_found` for no site; `conflict` when another site holds the hostname.
 */
export async function addHostname(db: D1Database, projectId: string, site: string, hostname: string): Promise<void> {
  const [exists, holder] = await db.batch<{ project_id: string; site: string }>([
    db.prepare("SELECT project_id, name AS site FROM sites WHERE project_id = ? AND name = ?").bind(projectId, site),
    db.prepare("SELECT project_id, site FROM site_hostnames WHERE hostname = ?").bind(hostname),
  ]);
  if (!exists?.results.length) throw new ApiError("not_found", `No site named "${site}".`, { site });
  const current = holder?.results[0];
  if (current && (current.project_id !== projectId || current.site !== site)) {
    throw new ApiError("conflict", `The hostname ${hostname} already serves another site.`, { hostname });
  }
  if (current) return;
  const inserted = await db
    .prepare(
      "INSERT INTO site_hostnames (hostname, project_id, site, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(hostname, projectId, site, new Date().toISOString())
    .run();
  if (inserted.meta.changes === 0) {
    throw new ApiError("conflict", `The hostname ${hostname} already serves another site.`, { hostname });
  }
}

/** @throws {ApiError} `not_found` when the site does not hold the hostname. */
export async function removeHostname(db: D1Database, projectId: string, site: string, hostname: string): Promise<void> {
  const deleted = await db
    .prepare("DELETE FROM site_hostnames WHERE hostname = ? AND project_id = ? AND site = ?")
    .bind(hostname, projectId, site)
    .run();
  if (deleted.meta.changes === 0) {
    throw new ApiError("not_found", `Site "${site}" has no hostname ${hostname}.`, { hostname });
  }
}

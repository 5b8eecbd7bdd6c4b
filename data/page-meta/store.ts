import { ApiError } from "../../core/errors";
import type { PageMetaFields, PageMetaPage, PageMetaRecord } from "../../core/sites/page-meta";
import { PAGE_META_LIMITS, type PageMetaInputParsed } from "../../core/sites/page-meta-schemas";
import { type PagePath, parsePagePath, segmentBounds } from "../../core/sites/page-path";

/** The stored fields of a record: every field present, unset ones null (or their default). */
export type StoredPageMetaFields = Omit<PageMetaRecord, "site" | "path" | "pattern" | "created_at" | "updated_at">;

/** A row of `page_meta` as the queries here read it. */
export interface PageMetaRow {
  path: string;
  is_pattern: number;
  fields: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS = "path, is_pattern, fields, created_at, updated_at";

export function toRecord(site: string, row: PageMetaRow): PageMetaRecord {
  return {
    site,
    path: row.path,
    pattern: row.is_pattern === 1,
    ...(JSON.parse(row.fields) as StoredPageMetaFields),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A record's fields as stored: what was sent, with every absent field at its "not set" value. */
export function storedFields(input: PageMetaFields): StoredPageMetaFields {
  return {
    title: input.title ?? null,
    description: input.description ?? null,
    image: input.image ?? null,
    og_type: input.og_type ?? null,
    json_ld: input.json_ld ?? null,
    robots_noindex: input.robots_noindex ?? false,
    canonical: input.canonical ?? null,
    meta: input.meta ?? [],
    document: input.document ?? null,
  };
}

function upsert(db: D1Database, projectId: string, site: string, input: PageMetaInputParsed, now: string) {
  const parsed = parsePagePath(input.path);
  const { count, wildcard } = segmentBounds(parsed.segments);
  return db
    .prepare(
      `INSERT INTO page_meta (project_id, site, route_key, path, is_pattern, segment_count, has_wildcard, fields, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
       ON CONFLICT (project_id, site, route_key) DO UPDATE
         SET path = excluded.path, fields = excluded.fields, updated_at = excluded.updated_at
       RETURNING ${COLUMNS}`,
    )
    .bind(
      projectId,
      site,
      parsed.key,
      parsed.path,
      parsed.isPattern ? 1 : 0,
      count,
      wildcard ? 1 : 0,
      JSON.stringify(storedFields(input)),
      now,
    );
}

/**
 * Sets records (creating or replacing each), all or none: one D1 batch is one transaction. A
 * pattern replaces the site's pattern of the same shape (`/posts/:slug` replaces `/posts/:id`).
 *
 * @throws {ApiError} `invalid_request` when the site would have more than
 * `PAGE_META_LIMITS.patterns_per_site` patterns; `not_found` when the site does not exist.
 */
export async function setPageMetas(
  db: D1Database,
  projectId: string,
  site: string,
  inputs: readonly PageMetaInputParsed[],
): Promise<PageMetaRecord[]> {
  const now = new Date().toISOString();
  try {
    const results = await db.batch<PageMetaRow>(inputs.map((input) => upsert(db, projectId, site, input, now)));
    // A batch naming one key twice answers each statement; the record is the last one written.
    const byPath = new Map<string, PageMetaRecord>();
    for (const result of results) {
      const row = result.results[0];
      if (row) byPath.set(parsePagePath(row.path).key, toRecord(site, row));
    }
    return inputs.map((input) => byPath.get(parsePagePath(input.path).key) as PageMetaRecord);
  } catch (error) {
    throw writeError(error, site);
  }
}

/** The error a failed write means to the caller; anything unexpected stays as it is (a 500). */
function writeError(error: unknown, site: string): unknown {
  const message = error instanceof Error ? error.message : "";
  if (message.includes("page_meta_pattern_limit")) {
    return new ApiError(
      "invalid_request",
      `Site "${site}" may have at most ${PAGE_META_LIMITS.patterns_per_site} patterns; exact paths are unlimited.`,
      { site, max_patterns: PAGE_META_LIMITS.patterns_per_site },
    );
  }
  // The site was deleted between the route's check and the write.
  if (message.includes("FOREIGN KEY constraint failed")) return siteNotFound(site);
  return error;
}

export const siteNotFound = (site: string) => new ApiError("not_found", `No site named "${site}".`, { site });

const notFound = (site: string, path: string) =>
  new ApiError("not_found", `Site "${site}" has no page meta for "${path}".`, { site, path });

/**
 * The record stored for a path or pattern (a pattern found by its shape).
 *
 * @throws {ApiError} `not_found`.
 */
export async function getPageMeta(
  db: D1Database,
  projectId: string,
  site: string,
  path: string,
): Promise<PageMetaRecord> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM page_meta WHERE project_id = ? AND site = ? AND route_key = ?`)
    .bind(projectId, site, parsePagePath(path).key)
    .first<PageMetaRow>();
  if (!row) throw notFound(site, path);
  return toRecord(site, row);
}

/**
 * Deletes the record of a path or pattern.
 *
 * @throws {ApiError} `not_found`.
 */
export async function deletePageMeta(db: D1Database, projectId: string, site: string, path: string): Promise<string> {
  const row = await db
    .prepare("DELETE FROM page_meta WHERE project_id = ? AND site = ? AND route_key = ? RETURNING path")
    .bind(projectId, site, parsePagePath(path).key)
    .first<{ path: string }>();
  if (!row) throw notFound(site, path);
  return row.path;
}

/**
 * One page of a site's records, ordered by key, after the key `cursor` (a keyset cursor: a page
 * is never skipped or repeated while records come and go).
 */
export async function listPageMetas(
  db: D1Database,
  projectId: string,
  site: string,
  page: { cursor?: string | undefined; limit: number },
): Promise<PageMetaPage> {
  const { results } = await db
    .prepare(
      `SELECT route_key, ${COLUMNS} FROM page_meta
       WHERE project_id = ?1 AND site = ?2 AND route_key > ?3
       ORDER BY route_key LIMIT ?4`,
    )
    .bind(projectId, site, page.cursor ?? "", page.limit + 1)
    .all<PageMetaRow & { route_key: string }>();
  const rows = results.slice(0, page.limit);
  const more = results.length > page.limit;
  return { items: rows.map((row) => toRecord(site, row)), next_cursor: more ? (rows.at(-1)?.route_key ?? null) : null };
}

/**
 * The records that may apply to a request path: its exact record, and every pattern of the
 * site with a segment count it could match. One query; the caller picks the most specific.
 */
export async function pageMetaCandidates(
  db: D1Database,
  projectId: string,
  site: string,
  exact: PagePath["path"],
  segmentCount: number,
): Promise<PageMetaRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM page_meta WHERE project_id = ?1 AND site = ?2 AND route_key = ?3 AND is_pattern = 0
       UNION ALL
       SELECT ${COLUMNS} FROM page_meta
       WHERE project_id = ?1 AND site = ?2 AND is_pattern = 1
         AND (segment_count = ?4 OR (has_wildcard = 1 AND segment_count <= ?4))`,
    )
    .bind(projectId, site, exact, segmentCount)
    .all<PageMetaRow>();
  return results;
}

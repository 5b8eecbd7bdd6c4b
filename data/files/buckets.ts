import { ApiError } from "../../core/errors";
import type { BucketRecord, BucketRules } from "../../core/files/wire";

export interface BucketRow {
  name: string;
  public: number;
  max_file_bytes: number | null;
  allowed_content_types: string | null;
  cache_control: string | null;
  rules: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS = "name, public, max_file_bytes, allowed_content_types, cache_control, rules, created_at, updated_at";

export function toBucket(row: BucketRow): BucketRecord {
  return {
    name: row.name,
    public: row.public === 1,
    max_file_bytes: row.max_file_bytes,
    allowed_content_types:
      row.allowed_content_types === null ? null : (JSON.parse(row.allowed_content_types) as string[]),
    cache_control: row.cache_control,
    rules: JSON.parse(row.rules) as BucketRules,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The statement that reads one bucket (for use inside a batch). */
export function bucketStatement(db: D1Database, projectId: string, name: string) {
  return db.prepare(`SELECT ${COLUMNS} FROM buckets WHERE project_id = ? AND name = ?`).bind(projectId, name);
}

/** A project's bucket, or null. */
export async function getBucket(db: D1Database, projectId: string, name: string): Promise<BucketRecord | null> {
  const row = await bucketStatement(db, projectId, name).first<BucketRow>();
  return row ? toBucket(row) : null;
}

/**
 * A project's bucket.
 *
 * @throws {ApiError} `not_found` when the project has no bucket of that name.
 */
export async function requireBucket(db: D1Database, projectId: string, name: string): Promise<BucketRecord> {
  const bucket = await getBucket(db, projectId, name);
  if (!bucket) throw new ApiError("not_found", `No bucket named "${name}".`, { bucket: name });
  return bucket;
}

/** Every bucket of a project, by name (a project has few). */
export async function listBuckets(db: D1Database, projectId: string): Promise<BucketRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM buckets WHERE project_id = ? ORDER BY name`)
    .bind(projectId)
    .all<BucketRow>();
  return results.map(toBucket);
}

/** The settable fields of a bucket (validated by the route; rules by `validateBucketRules`). */
export interface BucketSettings {
  public: boolean;
  max_file_bytes: number | null;
  allowed_content_types: string[] | null;
  cache_control: string | null;
  rules: BucketRules;
}

export const DEFAULT_BUCKET_SETTINGS: BucketSettings = {
  public: false,
  max_file_bytes: null,
  allowed_content_types: null,
  cache_control: null,
  rules: {},
};

/**
 * Creates a bucket.
 *
 * @throws {ApiError} `conflict` when the project already has a bucket of that name.
 */
export async function createBucket(
  db: D1Database,
  projectId: string,
  name: string,
  settings: BucketSettings,
): Promise<BucketRecord> {
  const now = new Date().toISOString();
  const row = await db
    .prepare(
      `INSERT INTO buckets (project_id, name, public, max_file_bytes, allowed_content_types, cache_control, rules, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
       ON CONFLICT (project_id, name) DO NOTHING
       RETURNING ${COLUMNS}`,
    )
    .bind(projectId, name, ...settingsValues(settings), now)
    .first<BucketRow>();
  if (!row) throw new ApiError("conflict", `A bucket named "${name}" already exists.`, { bucket: name });
  return toBucket(row);
}

/**
 * Replaces a bucket's settings (the route merges a PATCH into the current ones first).
 *
 * @throws {ApiError} `not_found`.
 */
export async function updateBucket(
  db: D1Database,
  projectId: string,
  name: string,
  settings: BucketSettings,
): Promise<BucketRecord> {
  const row = await db
    .prepare(
      `UPDATE buckets SET public = ?3, max_file_bytes = ?4, allowed_content_types = ?5, cache_control = ?6,
         rules = ?7, updated_at = ?8
       WHERE project_id = ?1 AND name = ?2
       RETURNING ${COLUMNS}`,
    )
    .bind(projectId, name, ...settingsValues(settings), new Date().toISOString())
    .first<BucketRow>();
  if (!row) throw new ApiError("not_found", `No bucket named "${name}".`, { bucket: name });
  return toBucket(row);
}

/**
 * Deletes a bucket and (by cascade) its file rows; the caller removes the bytes (what it cannot
 * reach in time, the orphan sweep does). Without `force`, only an empty bucket is deleted.
 *
 * @throws {ApiError} `not_found`; `conflict` when the bucket holds files and `force` is not set.
 */
export async function deleteBucket(db: D1Database, projectId: string, name: string, force: boolean): Promise<void> {
  const [exists, holdsFiles] = await db.batch<{ one: number }>([
    db.prepare("SELECT 1 AS one FROM buckets WHERE project_id = ? AND name = ?").bind(projectId, name),
    db.prepare("SELECT 1 AS one FROM files WHERE project_id = ? AND bucket = ? LIMIT 1").bind(projectId, name),
  ]);
  if (!exists?.results.length) throw new ApiError("not_found", `No bucket named "${name}".`, { bucket: name });
  if (holdsFiles?.results.length && !force) {
    throw new ApiError(
      "conflict",
      `Bucket "${name}" holds files. Delete them first, or delete the bucket with ?force=true to delete them too.`,
      { bucket: name },
    );
  }
  await db.prepare("DELETE FROM buckets WHERE project_id = ? AND name = ?").bind(projectId, name).run();
}

function settingsValues(settings: BucketSettings) {
  return [
    settings.public ? 1 : 0,
    settings.max_file_bytes,
    settings.allowed_content_types === null ? null : JSON.stringify(settings.allowed_content_types),
    settings.cache_control,
    JSON.stringify(settings.rules),
  ] as const;
}

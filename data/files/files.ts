import { newDocumentId } from "../../core/documents/names";
import { ApiError } from "../../core/errors";
import type { FileMetadata, FileRecord } from "../../core/files/wire";
import type { FileAttributes } from "./access";

/** A file's row as read from D1. */
export interface FileRow {
  project_id: string;
  bucket: string;
  path: string;
  id: string;
  size: number;
  content_type: string;
  etag: string;
  metadata: string;
  uploaded_by: string | null;
  created_at: string;
  updated_at: string;
  /** Where R2 holds these bytes (data/files/object-key.ts). */
  object_key: string;
}

const COLUMNS =
  "project_id, bucket, path, id, size, content_type, etag, metadata, uploaded_by, created_at, updated_at, object_key";

/** What `commitFile` writes: the file R2 now holds. */
export interface FileWrite {
  projectId: string;
  bucket: string;
  /** Checked and normalized by `checkFilePath`. */
  path: string;
  size: number;
  contentType: string;
  /** R2's etag of the stored bytes (unquoted). */
  etag: string;
  metadata: FileMetadata;
  /** The end user's id, or null for an API key. */
  uploadedBy: string | null;
  /** Where R2 holds the bytes: this upload's own key (`newObjectKey`). */
  objectKey: string;
  /** R2's `uploaded` time of these bytes: a row is only replaced by later bytes. */
  objectUploaded: Date;
  /**
   * Commit only if the path still holds the file with this ETag (`If-Match`), or no file
   * (`If-None-Match: *`); `precondition_failed` otherwise.
   */
  only?: { etag: string } | "absent";
}

/**
 * The download URL of a file: absolute when `origin` is given (`https://api.example`). It names
 * the project, so it works without credentials for a public bucket (`<img src>`); a private
 * bucket's file needs credentials or a signed URL.
 */
export function fileUrl(projectId: string, bucket: string, path: string, origin = ""): string {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return `${origin}/v1/storage/buckets/${bucket}/objects/${encoded}?project=${projectId}`;
}

/** The wire record of a row. */
export function toFileRecord(row: FileRow, origin?: string): FileRecord {
  return {
    id: row.id,
    bucket: row.bucket,
    path: row.path,
    size: row.size,
    content_type: row.content_type,
    etag: row.etag,
    metadata: JSON.parse(row.metadata) as FileMetadata,
    uploaded_by: row.uploaded_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
    url: fileUrl(row.project_id, row.bucket, row.path, origin),
  };
}

/** What rules see of a stored file. */
export function fileAttributes(row: FileRow | FileRecord): FileAttributes {
  const metadata = typeof row.metadata === "string" ? (JSON.parse(row.metadata) as FileMetadata) : row.metadata;
  return { path: row.path, size: row.size, content_type: row.content_type, metadata };
}

/**
 * Records a file whose bytes R2 already holds under `file.objectKey` (call it only after the put
 * succeeded, so a listed file always has its bytes), then deletes the bytes no row names any
 * more: the ones this file replaced, or, when the commit lost, its own. Uploading to a path that
 * exists replaces the file's size, type, etag, metadata and key and keeps its id and
 * `created_at`, so its URL stays the same. When two uploads to one path race, the row keeps the
 * bytes R2 stored last (`objectUploaded`), whatever order the commits arrive in; the earlier upload
 * then answers with the file as it now is.
 *
 * A commit that fails is left alone: whether D1 wrote it is unknown, so its bytes stay for the
 * orphan sweep, which removes them if no row names them.
 *
 * @throws {ApiError} `precondition_failed` when `file.only` does not hold; `not_found` when a later
 * upload won and the file was deleted since.
 */
export async function commitFile(
  db: D1Database,
  r2: R2Bucket,
  file: FileWrite,
  origin?: string,
): Promise<{ file: FileRecord; created: boolean }> {
  const [before, written] = await db.batch([
    db
      .prepare("SELECT object_key FROM files WHERE project_id = ? AND bucket = ? AND path = ?")
      .bind(file.projectId, file.bucket, file.path),
    commitStatement(db, file),
  ]);
  const previousKey = (before?.results[0] as { object_key: string } | undefined)?.object_key ?? null;
  const row = written?.results[0] as FileRow | undefined;
  if (row) {
    if (previousKey !== null && previousKey !== file.objectKey) await r2.delete(previousKey);
    return { file: toFileRecord(row, origin), created: previousKey === null };
  }
  await r2.delete(file.objectKey);
  if (file.only !== undefined) {
    throw new ApiError(
      "precondition_failed",
      `The file at "${file.path}" changed during the upload; nothing was stored.`,
      {
        path: file.path,
      },
    );
  }
  // Later bytes were committed first: answer with the file as it is now.
  const current = await getFileRow(db, file.projectId, file.bucket, file.path);
  if (!current) throw new ApiError("not_found", `The file at "${file.path}" was deleted during the upload.`);
  return { file: toFileRecord(current, origin), created: false };
}

/** The write of `commitFile`: an upsert that keeps the latest bytes, or its conditional forms. */
function commitStatement(db: D1Database, file: FileWrite): D1PreparedStatement {
  const now = new Date().toISOString();
  const described = [
    file.size,
    file.contentType,
    file.etag,
    JSON.stringify(file.metadata),
    file.uploadedBy,
    now,
    file.objectUploaded.toISOString(),
    file.objectKey,
  ];
  if (file.only !== undefined && file.only !== "absent") {
    return db
      .prepare(
        `UPDATE files SET size = ?4, content_type = ?5, etag = ?6, metadata = ?7, uploaded_by = ?8, updated_at = ?9,
           object_uploaded_at = ?10, object_key = ?11
         WHERE project_id = ?1 AND bucket = ?2 AND path = ?3 AND etag = ?12
         RETURNING ${COLUMNS}`,
      )
      .bind(file.projectId, file.bucket, file.path, ...described, file.only.etag);
  }
  const onConflict =
    file.only === "absent"
      ? "DO NOTHING"
      : `DO UPDATE SET size = excluded.size, content_type = excluded.content_type, etag = excluded.etag,
           metadata = excluded.metadata, uploaded_by = excluded.uploaded_by, updated_at = excluded.updated_at,
           object_uploaded_at = excluded.object_uploaded_at, object_key = excluded.object_key
         WHERE files.object_uploaded_at IS NULL OR excluded.object_uploaded_at >= files.object_uploaded_at`;
  return db
    .prepare(
      `INSERT INTO files (project_id, bucket, path, size, content_type, etag, metadata, uploaded_by, updated_at,
         object_uploaded_at, object_key, id, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?9)
       ON CONFLICT (project_id, bucket, path) ${onConflict}
       RETURNING ${COLUMNS}`,
    )
    .bind(file.projectId, file.bucket, file.path, ...described, newDocumentId());
}

/** The statement that reads one file's row (for use inside a batch). */
export function fileRowStatement(db: D1Database, projectId: string, bucket: string, path: string) {
  return db
    .prepare(`SELECT ${COLUMNS} FROM files WHERE project_id = ? AND bucket = ? AND path = ?`)
    .bind(projectId, bucket, path);
}

/** A file's row, or null. */
export async function getFileRow(
  db: D1Database,
  projectId: string,
  bucket: string,
  path: string,
): Promise<FileRow | null> {
  return fileRowStatement(db, projectId, bucket, path).first<FileRow>();
}

/** Replaces a file's custom metadata and content type; null when the file is gone. */
export async function updateFileMetadata(
  db: D1Database,
  projectId: string,
  bucket: string,
  path: string,
  metadata: FileMetadata,
  contentType: string,
): Promise<FileRow | null> {
  return db
    .prepare(
      `UPDATE files SET metadata = ?4, content_type = ?5, updated_at = ?6
       WHERE project_id = ?1 AND bucket = ?2 AND path = ?3
       RETURNING ${COLUMNS}`,
    )
    .bind(projectId, bucket, path, JSON.stringify(metadata), contentType, new Date().toISOString())
    .first<FileRow>();
}

/**
 * Deletes file rows and returns what they were (`path` and `object_key`), for the caller to delete
 * those keys next: the row first, so a crash in between leaves bytes without a row, which the
 * orphan sweep removes, never a listed file without bytes.
 */
export async function deleteFileRows(
  db: D1Database,
  projectId: string,
  bucket: string,
  paths: readonly string[],
): Promise<{ path: string; object_key: string }[]> {
  if (paths.length === 0) return [];
  const { results } = await db
    .prepare(
      `DELETE FROM files WHERE project_id = ?1 AND bucket = ?2 AND path IN (SELECT value FROM json_each(?3))
       RETURNING path, object_key`,
    )
    .bind(projectId, bucket, JSON.stringify(paths))
    .all<{ path: string; object_key: string }>();
  return results;
}

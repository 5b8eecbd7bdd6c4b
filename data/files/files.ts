import { newDocumentId } from "../../core/documents/names";
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
}

const COLUMNS = "project_id, bucket, path, id, size, content_type, etag, metadata, uploaded_by, created_at, updated_at";

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
  /** R2's `uploaded` time of these bytes (default now): a row is only replaced by later bytes. */
  objectUploaded?: Date;
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
 * Records a file whose bytes R2 already holds (call it only after the put succeeded, so a listed
 * file always has its bytes). Uploading to a path that exists replaces the file's size, type, etag
 * and metadata and keeps its id and `created_at`, so its URL stays the same. When two uploads to
 * one path race, the row keeps the bytes R2 stored last (`objectUploaded`), whatever order the
 * commits arrive in; the earlier upload then answers with the file as it now is.
 */
export async function commitFile(db: D1Database, file: FileWrite, origin?: string): Promise<FileRecord> {
  const now = new Date().toISOString();
  const uploaded = (file.objectUploaded ?? new Date()).toISOString();
  const row = await db
    .prepare(
      `INSERT INTO files (project_id, bucket, path, id, size, content_type, etag, metadata, uploaded_by, created_at, updated_at,
         object_uploaded_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)
       ON CONFLICT (project_id, bucket, path) DO UPDATE SET size = excluded.size, content_type = excluded.content_type,
         etag = excluded.etag, metadata = excluded.metadata, uploaded_by = excluded.uploaded_by,
         updated_at = excluded.updated_at, object_uploaded_at = excluded.object_uploaded_at
       WHERE files.object_uploaded_at IS NULL OR excluded.object_uploaded_at >= files.object_uploaded_at
       RETURNING ${COLUMNS}`,
    )
    .bind(
      file.projectId,
      file.bucket,
      file.path,
      newDocumentId(),
      file.size,
      file.contentType,
      file.etag,
      JSON.stringify(file.metadata),
      file.uploadedBy,
      now,
      uploaded,
    )
    .first<FileRow>();
  // No row back: later bytes were committed first; answer with the file as it is now.
  const current = row ?? (await getFileRow(db, file.projectId, file.bucket, file.path));
  return toFileRecord(current as FileRow, origin);
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
 * Deletes file rows (before their bytes: a crash in between leaves bytes without a row, which the
 * orphan sweep removes, never a listed file without bytes). Returns the paths that had a row.
 */
export async function deleteFileRows(
  db: D1Database,
  projectId: string,
  bucket: string,
  paths: readonly string[],
): Promise<string[]> {
  if (paths.length === 0) return [];
  const { results } = await db
    .prepare(
      `DELETE FROM files WHERE project_id = ?1 AND bucket = ?2 AND path IN (SELECT value FROM json_each(?3))
       RETURNING path`,
    )
    .bind(projectId, bucket, JSON.stringify(paths))
    .all<{ path: string }>();
  return results.map((row) => row.path);
}

import type { ErrorCode } from "../../core/errors";
import type { FileRecord } from "../../core/files/wire";

/** Who created an upload: only they (or a secret key of the project) may continue or end it. */
export interface UploadOwner {
  kind: "public" | "secret" | "user";
  user_id: string | null;
}

/** What the Worker hands over when it creates an upload, after checking the bucket's rules. */
export interface UploadInit {
  upload_id: string;
  project_id: string;
  bucket: string;
  /** The final file's path in the bucket (validated). */
  path: string;
  /** The R2 key the finished file is stored under. */
  key: string;
  content_type: string;
  /** The final file's custom metadata. */
  metadata: Record<string, string>;
  /** The `Upload-Metadata` header as the client sent it, echoed by HEAD. */
  tus_metadata: string | null;
  /** `Upload-Length`: the whole file's size. */
  length: number;
  owner: UploadOwner;
}

/**
 * Where an upload is: `receiving` bytes; `stored` once R2 holds the whole file (the multipart
 * upload completed); `committed` once the file's row is in D1, i.e. the file is listed.
 */
export type UploadPhase = "receiving" | "stored" | "committed";

/** The R2 object a finished upload produced. */
export interface StoredObject {
  etag: string;
  size: number;
  uploaded_at: string;
}

/** The record an upload object keeps in its storage (one row, rewritten when it changes). */
export interface UploadRecord extends UploadInit {
  v: 1;
  part_size: number;
  /** R2's multipart upload id, once the first part is sent (small files never need one). */
  multipart_id: string | null;
  created_at: number;
  /** Epoch ms after which an unfinished upload is aborted (`Upload-Expires`). */
  expires_at: number;
  phase: UploadPhase;
  stored: StoredObject | null;
  /** The file's wire record once committed (what the final PATCH answers with). */
  file: FileRecord | null;
}

/** An upload as the Worker sees it: its record and how many bytes are durably received. */
export interface UploadStatus extends UploadRecord {
  offset: number;
}

/** A typed failure returned over RPC (a thrown error would lose its code on the way). */
export interface UploadError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Every RPC method of the upload object answers with one of these. */
export type UploadResult = { status: UploadStatus; error?: undefined } | { status?: undefined; error: UploadError };

/** The upload object of `uploadId` in `projectId`: the project is part of the name, so ids never cross projects. */
export function uploadObjectName(projectId: string, uploadId: string): string {
  return `${projectId}:upload:${uploadId}`;
}

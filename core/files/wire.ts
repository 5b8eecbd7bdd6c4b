/**
 * The storage API on the wire, as plain types (no runtime code, no zod, no Workers types), so
 * the SDK imports them with `import type`. Field names are snake_case, as on the wire.
 */

/** Custom metadata of a file: string values by key. */
export type FileMetadata = Record<string, string>;

/** A stored file, as every storage route that names one answers. */
export interface FileRecord {
  /** Stable random id; kept when the same path is uploaded again. */
  id: string;
  bucket: string;
  /** The normalized (NFC) path inside the bucket, e.g. `users/42/avatar.png`. */
  path: string;
  size: number;
  content_type: string;
  /** The bytes' entity tag (unquoted); send it quoted as `If-Match` to replace safely. */
  etag: string;
  metadata: FileMetadata;
  /** The end user who uploaded it, or null for an API key. */
  uploaded_by: string | null;
  /** ISO-8601 UTC. */
  created_at: string;
  updated_at: string;
  /** Where to download it (needs credentials unless the bucket is public; see signed URLs). */
  url: string;
}

/** Rule texts per operation, in the filter language over `file` and `auth`. A missing rule
 * means only secret keys may do that. */
export interface BucketRules {
  read?: string;
  create?: string;
  update?: string;
  delete?: string;
}

/** A bucket, as the bucket routes answer. */
export interface BucketRecord {
  name: string;
  /** Readable by anyone, without a key. */
  public: boolean;
  /** Largest file accepted, in bytes; null: the platform's limit. */
  max_file_bytes: number | null;
  /** Media types (`image/png`) or families (`image/*`) accepted; null: any. */
  allowed_content_types: string[] | null;
  /** `Cache-Control` sent with downloads; null: `private, no-cache` (`public, max-age=3600` when public). */
  cache_control: string | null;
  rules: BucketRules;
  created_at: string;
  updated_at: string;
}

/** A folder of a list with `delimiter=/`: a common prefix of the listed paths. */
export interface FolderEntry {
  /** Ends with the delimiter, e.g. `users/42/`. */
  prefix: string;
}

/** `GET …/objects`: files (and folders with a delimiter), in path order. */
export interface FileList {
  items: FileRecord[];
  folders: FolderEntry[];
  next_cursor: string | null;
}

/** `POST …/sign`: a URL that works without headers until `expires_at`. */
export interface SignedUrl {
  url: string;
  method: "GET" | "PUT";
  path: string;
  /** ISO-8601 UTC. */
  expires_at: string;
}

/** `GET /v1/storage/usage`: bytes and files stored, and the quota (null: none). */
export interface StorageUsage {
  used_bytes: number;
  file_count: number;
  quota_bytes: number | null;
}

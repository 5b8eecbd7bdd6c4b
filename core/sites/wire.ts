/**
 * The sites API on the wire, as plain types (no runtime code, no zod), so the SDK and the CLI
 * import them with `import type`. Field names are snake_case, as on the wire.
 */

/** A site, as every site route that names one answers. */
export interface SiteRecord {
  name: string;
  /** Page navigations to a path the release lacks get `/index.html` (never a path with an extension). */
  spa: boolean;
  /** The release path answered with status 404; null: `/404.html` when the release has one. */
  not_found_page: string | null;
  /** `/about` serves `/about.html`, and `/about.html` redirects to `/about`. */
  clean_urls: boolean;
  /** Activated releases kept for rollback, the active one included (1–100). */
  keep_releases: number;
  /** The release being served, or null before the first activation. */
  active_release_id: string | null;
  /** Custom hostnames mapped to the site by the operator. */
  hostnames: string[];
  /** Where the site answers: its first hostname, else its default address under this server's host; null when there is none (workers.dev without a hostname). */
  url: string | null;
  /** ISO-8601 UTC. */
  created_at: string;
  updated_at: string;
}

/** The settable fields of a site. */
export interface SiteSettings {
  spa: boolean;
  not_found_page: string | null;
  clean_urls: boolean;
  keep_releases: number;
}

/** One file of a release's manifest. */
export interface ManifestEntry {
  /** `/` and the file's path in the built app, e.g. `/assets/app.3f9a.js`. */
  path: string;
  /** Lowercase hex SHA-256 of the bytes. */
  hash: string;
  size: number;
  content_type: string;
}

/** `pending`: created, not activated yet; `active`: being served; `inactive`: served before, kept for rollback. */
export type ReleaseStatus = "pending" | "active" | "inactive";

export interface ReleaseRecord {
  id: string;
  site: string;
  status: ReleaseStatus;
  file_count: number;
  total_bytes: number;
  created_at: string;
  /** The last time it became the active release; null while pending. */
  activated_at: string | null;
}

/** `POST …/releases`: the new release and the hashes the server still needs. */
export interface CreatedRelease {
  release: ReleaseRecord;
  /** Hashes of the manifest whose bytes the project does not have: upload each once. */
  missing: string[];
  /** Bytes of the missing blobs. */
  missing_bytes: number;
}

/** `POST …/diff`: a manifest against the active release, before anything is created. */
export interface ReleaseDiff {
  /** The release compared with, or null for a site never activated. */
  base_release_id: string | null;
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
  missing: string[];
  missing_bytes: number;
}

/** A blob the server now holds. */
export interface UploadedBlob {
  hash: string;
  size: number;
  /** False when the project held it already (another upload won). */
  created: boolean;
}

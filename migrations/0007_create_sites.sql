-- Sites: built web apps deployed by content hash and served from R2. A site has releases; a
-- release is a manifest (path → sha-256) over the project's content-addressed blobs, which are
-- stored once per project and shared by every release and site. A site serves its one active
-- release; switching is one UPDATE, so every request sees either the old release or the new one.
-- Everything is scoped by project_id and cascades from projects and sites.

-- A project's site. `spa`: navigations to a missing path get index.html. `not_found_page`: the
-- release path answered with 404 (NULL: /404.html when the release has one). `clean_urls`:
-- `/about` serves about.html. `keep_releases`: activated releases kept for rollback (the active one
-- always stays). `active_release_id` is NULL until the first activation.
CREATE TABLE sites (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  spa INTEGER NOT NULL DEFAULT 1 CHECK (spa IN (0, 1)),
  not_found_page TEXT,
  clean_urls INTEGER NOT NULL DEFAULT 0 CHECK (clean_urls IN (0, 1)),
  keep_releases INTEGER NOT NULL DEFAULT 10 CHECK (keep_releases BETWEEN 1 AND 100),
  active_release_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, name)
);

-- Hostnames (custom domains routed to the Worker) → site. A hostname belongs to one site of the
-- whole deployment, so only the operator maps them (admin API). Stored lowercase, without port.
CREATE TABLE site_hostnames (
  hostname TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  site TEXT NOT NULL,
  created_at TEXT NOT NULL,
  FOREIGN KEY (project_id, site) REFERENCES sites (project_id, name) ON DELETE CASCADE
);
CREATE INDEX site_hostnames_by_site ON site_hostnames (project_id, site);

-- A release: pending until activated for the first time (its files may still be uploading).
-- `activated_at` is the last time it became the active release (a rollback sets it again).
CREATE TABLE site_releases (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  site TEXT NOT NULL,
  file_count INTEGER NOT NULL,
  total_bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  activated_at TEXT,
  FOREIGN KEY (project_id, site) REFERENCES sites (project_id, name) ON DELETE CASCADE
);
CREATE INDEX site_releases_by_site ON site_releases (project_id, site, created_at);

-- A release's manifest: one row per path (normalized, starting with `/`). Never changed once
-- written, which is why the serving path may cache a release's manifest for as long as it likes.
CREATE TABLE site_release_files (
  release_id TEXT NOT NULL REFERENCES site_releases (id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  project_id TEXT NOT NULL,
  hash TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  PRIMARY KEY (release_id, path)
);
-- Which blobs some release still names (the garbage collection of blobs).
CREATE INDEX site_release_files_by_hash ON site_release_files (project_id, hash);

-- A blob: the bytes of one sha-256, stored once per project, written only after R2 holds them.
-- `object_key` is unique per upload, so deleting an unreferenced blob's bytes can never remove
-- the bytes of a concurrent re-upload of the same hash.
CREATE TABLE site_blobs (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  hash TEXT NOT NULL,
  size INTEGER NOT NULL,
  object_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (project_id, hash)
);

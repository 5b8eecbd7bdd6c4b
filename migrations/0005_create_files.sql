-- File storage: buckets, the metadata of every stored file (the bytes live in R2), and each
-- project's storage totals, quota and URL-signing secret. Everything is scoped by project_id and
-- cascades from projects; the R2 bytes of a deleted project are removed by the orphan sweep.

-- A project's named bucket. `public` buckets are readable by anyone without a key; `rules` is a
-- JSON object with optional read/create/update/delete expressions over `file` and `auth` (a
-- missing rule means only secret keys may do that). `allowed_content_types` is a JSON array of
-- media types or `type/*` patterns, or NULL for any; `max_file_bytes` NULL means the platform cap.
CREATE TABLE buckets (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),
  max_file_bytes INTEGER,
  allowed_content_types TEXT,
  cache_control TEXT,
  rules TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, name)
);

-- One row per stored file, written only after R2 holds its bytes (so a listed file always has
-- them). `path` is the normalized path inside the bucket; `id` is a stable random id; `etag` is
-- R2's (unquoted); `metadata` a JSON object of custom string values.
CREATE TABLE files (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  bucket TEXT NOT NULL,
  path TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  etag TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  uploaded_by TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- What rules see as `file`: one JSON object, so the filter language's SQL compiler (which reads
  -- a JSON column) filters listings by the read rule in SQL.
  attrs TEXT GENERATED ALWAYS AS (
    json_object('path', path, 'size', size, 'content_type', content_type, 'metadata', json(metadata))
  ) VIRTUAL,
  PRIMARY KEY (project_id, bucket, path),
  FOREIGN KEY (project_id, bucket) REFERENCES buckets (project_id, name) ON DELETE CASCADE
);

-- Per project: bytes and files stored (kept exact by the triggers below, in the statement that
-- changes `files`), the optional quota, and the HMAC secret of signed URLs (created on first use).
CREATE TABLE storage_usage (
  project_id TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  used_bytes INTEGER NOT NULL DEFAULT 0,
  file_count INTEGER NOT NULL DEFAULT 0,
  quota_bytes INTEGER,
  signing_secret TEXT
);

CREATE TRIGGER files_usage_insert AFTER INSERT ON files
BEGIN
  INSERT INTO storage_usage (project_id, used_bytes, file_count) VALUES (NEW.project_id, NEW.size, 1)
    ON CONFLICT (project_id) DO UPDATE SET used_bytes = used_bytes + NEW.size, file_count = file_count + 1;
END;

CREATE TRIGGER files_usage_update AFTER UPDATE OF size ON files
BEGIN
  UPDATE storage_usage SET used_bytes = used_bytes - OLD.size + NEW.size WHERE project_id = NEW.project_id;
END;

-- A project's cascade deletes its usage row too; skip the update when the project is gone.
CREATE TRIGGER files_usage_delete AFTER DELETE ON files
WHEN EXISTS (SELECT 1 FROM projects WHERE id = OLD.project_id)
BEGIN
  UPDATE storage_usage SET used_bytes = used_bytes - OLD.size, file_count = file_count - 1
    WHERE project_id = OLD.project_id;
END;

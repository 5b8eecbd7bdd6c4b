-- Projects, their API keys and their token-signing keys. Every later table is scoped by
-- project_id and cascades from here, so deleting a project deletes everything it owns.

CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- JSON array of origins allowed to call the API from a browser; ["*"] allows any.
  allowed_origins TEXT NOT NULL DEFAULT '["*"]',
  created_at TEXT NOT NULL
);

-- A key reads `pk_<id>_<secret>` or `sk_<id>_<secret>`. Only the SHA-256 of the secret part is
-- stored; the id finds the row and the hash is compared in constant time.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('public', 'secret')),
  name TEXT,
  secret_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX api_keys_by_project ON api_keys (project_id);

-- HMAC keys that sign the project's JWTs. The newest unretired key signs; a retired key still
-- verifies until every token it could have signed has expired.
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retired_at TEXT
);
CREATE INDEX signing_keys_by_project ON signing_keys (project_id);

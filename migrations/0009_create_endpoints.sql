-- Endpoints: a project's labels for its own servers, called through the proxy
-- (`/v1/proxy/:label/*`). A label's target is an upstream URL or the project's tunnel of that
-- label (durable-objects/tunnel/). Everything cascades from projects.
--
-- `secret_headers` is a JSON object of header name → value added to every forwarded request: it
-- is write-only (no route returns the values; only the names are shown) and never logged.
-- Timeouts are in milliseconds: until the upstream's response headers (`first_byte_timeout_ms`),
-- between two chunks of its body (`idle_timeout_ms`) and for the whole exchange
-- (`total_timeout_ms`). Rate limits are requests per minute for the label as a whole and for each
-- caller (NULL: none). Who may call: secret keys always; public keys and user tokens when their
-- flag is set and, if `access_rule` is set, when that rule over `auth` holds.
CREATE TABLE endpoints (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  description TEXT,
  target_kind TEXT NOT NULL CHECK (target_kind IN ('url', 'tunnel')),
  target_url TEXT,
  secret_headers TEXT NOT NULL DEFAULT '{}',
  first_byte_timeout_ms INTEGER NOT NULL,
  idle_timeout_ms INTEGER NOT NULL,
  total_timeout_ms INTEGER NOT NULL,
  max_body_bytes INTEGER NOT NULL,
  rate_limit_per_label INTEGER,
  rate_limit_per_caller INTEGER,
  allow_public_key INTEGER NOT NULL CHECK (allow_public_key IN (0, 1)),
  allow_user_tokens INTEGER NOT NULL CHECK (allow_user_tokens IN (0, 1)),
  access_rule TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, label),
  -- A URL endpoint has its URL; a tunnel endpoint has none (the tunnel is found by its label).
  CHECK ((target_kind = 'url') = (target_url IS NOT NULL))
);

-- End-user accounts: users, the identities they sign in with, their sessions, one-time tokens
-- (password reset, email verification), per-project account settings and the counters of the
-- brute-force limits. Everything is scoped by project_id and cascades from projects; a user's
-- identities, sessions and tokens cascade from the user.

-- One row per end user. `id` is a user id of core/protocol/identifiers.ts (`u_` + 20 base-36
-- characters), what tokens carry as `sub` and rules see as `auth.id`. A guest has
-- is_anonymous = 1 and no password identity until it links one (same id). `password_hash` is the
-- versioned string of worker/accounts/password-hash.ts, NULL for users without a password.
-- `profile` and `claims` are JSON objects; `role` and `claims` go into every access token.
CREATE TABLE users (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  is_anonymous INTEGER NOT NULL DEFAULT 0 CHECK (is_anonymous IN (0, 1)),
  display_name TEXT,
  profile TEXT NOT NULL DEFAULT '{}',
  role TEXT,
  claims TEXT NOT NULL DEFAULT '{}',
  password_hash TEXT,
  email_verified_at TEXT,
  disabled_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_sign_in_at TEXT,
  PRIMARY KEY (project_id, id)
);

-- How a user is found at sign-in: `provider` is 'password' (subject = the normalized login id,
-- an email or a user name) or 'oidc:<name>' (subject = the provider's `sub`). The primary key
-- makes an identity belong to at most one user of a project. `email` is what the provider said
-- (informational; OIDC).
CREATE TABLE identities (
  project_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL,
  email TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (project_id, provider, subject),
  FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
);
CREATE INDEX identities_by_user ON identities (project_id, user_id);

-- A session is one sign-in on one device and the family of refresh tokens it issues. Refresh
-- tokens are never stored: each is an HMAC under the deployment's AUTH_PEPPER of (project,
-- session id, generation, salt) (worker/accounts/refresh-tokens.ts), so a copy of this table
-- cannot produce one, and every token the session ever issued is recognized. Each refresh bumps
-- `generation`; the previous generation stays valid until `rotated_at` + the grace window (a
-- retried request); any older one is a reuse and revokes the session.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  salt TEXT NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0,
  rotated_at TEXT,
  device TEXT,
  created_at TEXT NOT NULL,
  last_used_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  -- 'sign_out', 'revoked', 'reuse', 'password_changed', 'disabled', …
  revoked_reason TEXT,
  FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_by_user ON sessions (project_id, user_id, created_at);

-- One-time tokens the app's server asks for (secret key) and delivers itself; the user redeems
-- one once. Only the SHA-256 of the token is stored. `purpose`: 'password_reset' | 'verify_email'.
CREATE TABLE one_time_tokens (
  token_hash TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  FOREIGN KEY (project_id, user_id) REFERENCES users (project_id, id) ON DELETE CASCADE
);
CREATE INDEX one_time_tokens_by_user ON one_time_tokens (project_id, user_id);

-- Account settings of a project (login id kind, password policy, token lifetimes, webhook):
-- one JSON object validated by worker/accounts/settings.ts; no row means the defaults.
CREATE TABLE auth_settings (
  project_id TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  settings TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Fixed-window counters of the brute-force limits (worker/accounts/rate-limits.ts). `key` names
-- the project, the action and what is counted (a login id's hash or a client address);
-- `window_start` is the window's start in epoch seconds. Rows of past windows are pruned.
CREATE TABLE auth_rate_limits (
  key TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL
);
CREATE INDEX auth_rate_limits_by_window ON auth_rate_limits (window_start);

-- OpenID Connect sign-in: each project's providers, and the sign-ins in flight between "start"
-- (the browser leaves for the provider) and "callback" (it comes back with a code). Scoped by
-- project_id and cascading from projects; an authorization cascades from its provider, so
-- deleting a provider ends its sign-ins in flight.

-- A provider the project's users may sign in with. `issuer` is compared exactly with the
-- discovery document and the ID tokens; `scopes` and `redirect_urls` are JSON arrays of strings.
-- `client_secret` is write-only over the API: it is read here for the token exchange and never
-- returned.
CREATE TABLE oidc_providers (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  issuer TEXT NOT NULL,
  client_id TEXT NOT NULL,
  client_secret TEXT NOT NULL,
  scopes TEXT NOT NULL,
  redirect_urls TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, name)
);

-- A sign-in in flight, keyed by its `state`. Only the S256 hash of the PKCE verifier is kept
-- (`code_challenge`): the verifier itself went back to the browser that started the flow, which
-- must present it at the callback. `link_user_id` is the signed-in user an identity is linked to
-- (null: a sign-in). Single use: `used_at` is set by the one callback that claims the row, and
-- the row stays until it expires so a replay is told apart from an unknown state.
CREATE TABLE oidc_authorizations (
  state TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  nonce TEXT NOT NULL,
  code_challenge TEXT NOT NULL,
  redirect_url TEXT NOT NULL,
  link_user_id TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  FOREIGN KEY (project_id, provider) REFERENCES oidc_providers (project_id, name) ON DELETE CASCADE
);

-- The sweep of expired sign-ins reads by expiry.
CREATE INDEX oidc_authorizations_expiry ON oidc_authorizations (expires_at);

// Data objects exactly as the server sends them: field names stay snake_case, as on the wire.

/** `GET /health`. */
export interface HealthStatus {
  /** `degraded` when the worker answers but its database does not. */
  status: "ok" | "degraded";
  /** The server's Flarebase version. */
  version: string;
  database: "ok" | "unavailable";
}

/** One page of a list: pass `next_cursor` back as `cursor` for the next page; null on the last. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  total?: number;
}

/** A user token minted by `auth.createToken()`. */
export interface TokenResponse {
  /** The JWT, for `createClient({ token })` or `client.setToken()`. */
  token: string;
  /** ISO-8601 UTC expiry. */
  expires_at: string;
}

/** What `auth.createToken()` sends: the user the token speaks for. */
export interface TokenRequest {
  /** Your app's id for the user (1–255 characters). */
  user_id: string;
  /** A role name your security rules can check (`auth.role`). */
  role?: string;
  /** Extra JSON claims for rules (`auth.claims`); names like `sub` or `exp` are reserved. */
  claims?: Record<string, unknown>;
  /** Lifetime in seconds, from 60 to 604800 (a week); the server's default is 3600. */
  ttl_seconds?: number;
}

/** Who the server thinks is calling (`auth.me()`). */
export interface AuthInfo {
  project_id: string;
  /** `public` or `secret` for an API key, `user` for a token. */
  kind: "public" | "secret" | "user";
  /** The token's user id; null for an API key. */
  user_id: string | null;
  role: string | null;
  claims: Record<string, unknown>;
}

/** A project, as the admin API returns it. */
export interface Project {
  id: string;
  name: string;
  /** Browser origins allowed to call the project (`["*"]` for any). */
  allowed_origins: string[];
  /**
   * What public keys (and user tokens without a `channels` claim) may do on realtime channels;
   * null means everything on every channel (see docs/protocol.md, "Capabilities").
   */
  channel_capabilities: ChannelCapabilities | null;
  created_at: string;
}

/**
 * A capability map: channel pattern (`"chat:lobby"`, `"chat:*"`, `"*"`) → the operations allowed
 * on matching channels (`"*"` for all of them).
 */
export type ChannelCapabilities = Record<string, ("subscribe" | "publish" | "presence" | "history" | "*")[]>;

/** A newly created project, with its first keys: they are shown only this once. */
export interface CreatedProject extends Project {
  keys: { public: string; secret: string };
}

/** An API key as listed: never the key itself. */
export interface ApiKeyInfo {
  id: string;
  kind: "public" | "secret";
  name: string | null;
  created_at: string;
  /** When the key was revoked; null while it works. */
  revoked_at: string | null;
}

/** A newly created API key: `key` is shown only this once. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

/** The result of a signing-key rotation. */
export interface SigningKeyRotation {
  /** The id of the key that now signs new tokens. */
  kid: string | null;
  rotated_at: string;
}

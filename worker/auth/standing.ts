import { ApiError } from "../../core/errors";
import type { Precondition } from "../../data/d1/precondition";

/**
 * A credential's standing: what can change about it after it was issued, checked on every request
 * inside the request's own trips (data/d1/precondition.ts). For a key: it still exists, is not
 * revoked, and its project allows the caller's origin. For a token: its signing key and project
 * still exist, and the project allows the origin. The row also carries the project's channel
 * defaults, which the context takes from it.
 */
export interface StandingRow {
  revoked_at: string | null;
  allowed_origins: string;
  channel_capabilities: string | null;
}

/** The precondition of a key: `seen` receives the row when the key stands. */
export function keyStanding(keyId: string, origin: string | null, seen: (row: StandingRow) => void): Precondition {
  return {
    read: (db) =>
      db
        .prepare(
          `SELECT k.revoked_at, p.allowed_origins, p.channel_capabilities
           FROM api_keys k JOIN projects p ON p.id = k.project_id WHERE k.id = ?1`,
        )
        .bind(keyId),
    check(result) {
      const row = result?.results[0] as StandingRow | undefined;
      if (!row) throw new ApiError("unauthorized", "The API key is not valid.");
      if (row.revoked_at) throw new ApiError("unauthorized", "The API key has been revoked.");
      assertOriginAllowed(JSON.parse(row.allowed_origins) as string[], origin);
      seen(row);
    },
    guard: (db) =>
      db
        .prepare(
          `INSERT INTO write_guards (reason) SELECT 'credentials' WHERE NOT EXISTS (
             SELECT 1 FROM api_keys k JOIN projects p ON p.id = k.project_id
             WHERE k.id = ?1 AND k.revoked_at IS NULL AND (?2 IS NULL OR EXISTS (
               SELECT 1 FROM json_each(p.allowed_origins) WHERE value = '*' OR value = ?2)))`,
        )
        .bind(keyId, origin),
  };
}

/** The precondition of a token signed with `kid`. */
export function tokenStanding(kid: string, origin: string | null, seen: (row: StandingRow) => void): Precondition {
  return {
    read: (db) =>
      db
        .prepare(
          `SELECT NULL AS revoked_at, p.allowed_origins, p.channel_capabilities
           FROM signing_keys s JOIN projects p ON p.id = s.project_id WHERE s.kid = ?1`,
        )
        .bind(kid),
    check(result) {
      const row = result?.results[0] as StandingRow | undefined;
      if (!row) throw new ApiError("unauthorized", "The bearer token's project or signing key no longer exists.");
      assertOriginAllowed(JSON.parse(row.allowed_origins) as string[], origin);
      seen(row);
    },
    guard: (db) =>
      db
        .prepare(
          `INSERT INTO write_guards (reason) SELECT 'credentials' WHERE NOT EXISTS (
             SELECT 1 FROM signing_keys s JOIN projects p ON p.id = s.project_id
             WHERE s.kid = ?1 AND (?2 IS NULL OR EXISTS (
               SELECT 1 FROM json_each(p.allowed_origins) WHERE value = '*' OR value = ?2)))`,
        )
        .bind(kid, origin),
  };
}

export function assertOriginAllowed(allowed: string[], origin: string | null) {
  if (origin === null || allowed.includes("*") || allowed.includes(origin)) return;
  throw new ApiError(
    "origin_not_allowed",
    `Origin ${origin} may not call this project. Add it to the project's allowed_origins with the admin API.`,
  );
}

/**
 * Session rows (migrations/0010_create_accounts.sql): one per sign-in, the family of the refresh
 * tokens it issues. What a token is and how it is checked is worker/accounts/refresh-tokens.ts;
 * this is only storage.
 *
 * @module
 */
import { ALPHANUMERIC, randomString } from "../../core/random";

export interface SessionRow {
  id: string;
  project_id: string;
  user_id: string;
  salt: string;
  generation: number;
  rotated_at: string | null;
  device: string | null;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

/** Why a session ended, kept on its row. */
export type RevokeReason = "sign_out" | "revoked" | "reuse" | "password_changed" | "password_reset" | "disabled";

/** Session ids: 20 alphanumeric characters (119 random bits). */
export const SESSION_ID_PATTERN = /^[0-9A-Za-z]{20}$/;

/** Longest User-Agent kept as a session's device. */
const MAX_DEVICE_LENGTH = 256;

/** A new session's row and the statement that inserts it (for a batch). */
export function newSessionStatement(
  db: D1Database,
  input: { projectId: string; userId: string; device: string | null; idleSeconds: number },
) {
  const now = new Date();
  const row: SessionRow = {
    id: randomString(20, ALPHANUMERIC),
    project_id: input.projectId,
    user_id: input.userId,
    salt: randomString(24, ALPHANUMERIC),
    generation: 0,
    rotated_at: null,
    device: input.device?.slice(0, MAX_DEVICE_LENGTH) ?? null,
    created_at: now.toISOString(),
    last_used_at: now.toISOString(),
    expires_at: new Date(now.getTime() + input.idleSeconds * 1000).toISOString(),
    revoked_at: null,
    revoked_reason: null,
  };
  const statement = db
    .prepare(
      `INSERT INTO sessions (id, project_id, user_id, salt, generation, device, created_at, last_used_at, expires_at)
       VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?6, ?7)`,
    )
    .bind(row.id, row.project_id, row.user_id, row.salt, row.device, row.created_at, row.expires_at);
  return { row, statement };
}

/** A session of the project, or null. */
export function getSession(db: D1Database, projectId: string, sessionId: string): Promise<SessionRow | null> {
  return db
    .prepare("SELECT * FROM sessions WHERE project_id = ?1 AND id = ?2")
    .bind(projectId, sessionId)
    .first<SessionRow>();
}

/**
 * Moves a session from `fromGeneration` to the next, if no one else has (a compare-and-set:
 * two refreshes racing with the same token cannot both win the same step). Returns the new row,
 * or null when the session is no longer at that generation or was revoked meanwhile.
 */
export function rotateSession(
  db: D1Database,
  session: SessionRow,
  fromGeneration: number,
  input: { idleSeconds: number; device: string | null },
): Promise<SessionRow | null> {
  const now = new Date();
  return db
    .prepare(
      `UPDATE sessions SET generation = generation + 1, rotated_at = ?4, last_used_at = ?4, expires_at = ?5,
         device = coalesce(?6, device)
       WHERE project_id = ?1 AND id = ?2 AND generation = ?3 AND revoked_at IS NULL
       RETURNING *`,
    )
    .bind(
      session.project_id,
      session.id,
      fromGeneration,
      now.toISOString(),
      new Date(now.getTime() + input.idleSeconds * 1000).toISOString(),
      input.device?.slice(0, MAX_DEVICE_LENGTH) ?? null,
    )
    .first<SessionRow>();
}

/** Ends one session of a user; false when it is not theirs or already ended. */
export async function revokeSession(
  db: D1Database,
  projectId: string,
  sessionId: string,
  reason: RevokeReason,
  userId?: string,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE sessions SET revoked_at = ?3, revoked_reason = ?4
       WHERE project_id = ?1 AND id = ?2 AND revoked_at IS NULL AND (?5 IS NULL OR user_id = ?5)`,
    )
    .bind(projectId, sessionId, new Date().toISOString(), reason, userId ?? null)
    .run();
  return result.meta.changes > 0;
}

/** The statement that ends every live session of a user, but `keep` (for a batch). */
export function revokeUserSessionsStatement(
  db: D1Database,
  projectId: string,
  userId: string,
  reason: RevokeReason,
  keep: string | null = null,
) {
  return db
    .prepare(
      `UPDATE sessions SET revoked_at = ?3, revoked_reason = ?4
       WHERE project_id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND (?5 IS NULL OR id != ?5)`,
    )
    .bind(projectId, userId, new Date().toISOString(), reason, keep);
}

/** A user's live sessions (not ended, not expired), newest first. */
export async function listLiveSessions(db: D1Database, projectId: string, userId: string): Promise<SessionRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM sessions WHERE project_id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3
       ORDER BY created_at DESC LIMIT 100`,
    )
    .bind(projectId, userId, new Date().toISOString())
    .all<SessionRow>();
  return results;
}

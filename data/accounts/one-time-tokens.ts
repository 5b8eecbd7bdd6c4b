/**
 * One-time tokens (password reset, email verification): random, expiring, single use; only their
 * SHA-256 is stored. The app's server asks for one and delivers it; the user redeems it.
 *
 * @module
 */
import { ALPHANUMERIC, randomString, sha256Hex } from "../../core/random";

export type OneTimePurpose = "password_reset" | "verify_email";

/** `fot_` and 40 alphanumeric characters (238 random bits): guessing one is hopeless. */
const TOKEN_PATTERN = /^fot_[0-9A-Za-z]{40}$/;

/**
 * Issues a token for a user: the statements (for one batch: older unused tokens of the same
 * purpose stop working, so only the newest mail's link works) and the token itself.
 */
export async function issueOneTimeToken(
  db: D1Database,
  input: { projectId: string; userId: string; purpose: OneTimePurpose; ttlSeconds: number },
) {
  const token = `fot_${randomString(40, ALPHANUMERIC)}`;
  const now = new Date();
  const expiresAt = new Date(now.getTime() + input.ttlSeconds * 1000).toISOString();
  await db.batch([
    db
      .prepare(
        "DELETE FROM one_time_tokens WHERE project_id = ?1 AND user_id = ?2 AND purpose = ?3 AND used_at IS NULL",
      )
      .bind(input.projectId, input.userId, input.purpose),
    db
      .prepare(
        `INSERT INTO one_time_tokens (token_hash, project_id, user_id, purpose, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
      )
      .bind(await sha256Hex(token), input.projectId, input.userId, input.purpose, now.toISOString(), expiresAt),
  ]);
  return { token, expiresAt };
}

/** The hash a presented token is stored under, or null when it cannot be one of ours. */
export async function oneTimeTokenHash(token: string): Promise<string | null> {
  return TOKEN_PATTERN.test(token) ? sha256Hex(token) : null;
}

/** The user of a live (unused, unexpired) token of this project and purpose, without using it. */
export async function peekOneTimeToken(
  db: D1Database,
  projectId: string,
  purpose: OneTimePurpose,
  tokenHash: string,
): Promise<string | null> {
  const row = await db
    .prepare(
      `SELECT user_id FROM one_time_tokens
       WHERE token_hash = ?1 AND project_id = ?2 AND purpose = ?3 AND used_at IS NULL AND expires_at > ?4`,
    )
    .bind(tokenHash, projectId, purpose, new Date().toISOString())
    .first<{ user_id: string }>();
  return row?.user_id ?? null;
}

/** "The user of the live token": binds ?1 token hash, ?2 project, ?3 purpose, ?4 now. */
const LIVE_TOKEN_USER =
  "(SELECT user_id FROM one_time_tokens WHERE token_hash = ?1 AND project_id = ?2 AND purpose = ?3 AND used_at IS NULL AND expires_at > ?4)";

/**
 * Uses up a live token and, in the same transaction, applies `changes` (statements whose SQL
 * names the token's user as `${LIVE_TOKEN_USER}`, with ?1–?4 as above and their own binds from
 * ?5), so nothing changes unless the token was live, and of two redemptions racing exactly one
 * acts. Returns the user id, or null when the token was not live.
 */
export async function redeemOneTimeToken(
  db: D1Database,
  input: { projectId: string; purpose: OneTimePurpose; tokenHash: string },
  changes: { sql: (liveTokenUser: string) => string; binds: unknown[] }[],
): Promise<string | null> {
  const now = new Date().toISOString();
  const head = [input.tokenHash, input.projectId, input.purpose, now];
  const results = await db.batch<{ user_id: string }>([
    ...changes.map((change) => db.prepare(change.sql(LIVE_TOKEN_USER)).bind(...head, ...change.binds)),
    db
      .prepare(
        `UPDATE one_time_tokens SET used_at = ?4
         WHERE token_hash = ?1 AND project_id = ?2 AND purpose = ?3 AND used_at IS NULL AND expires_at > ?4
         RETURNING user_id`,
      )
      .bind(...head),
  ]);
  return results.at(-1)?.results[0]?.user_id ?? null;
}

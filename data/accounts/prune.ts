/**
 * Housekeeping of the account tables, run by the hourly cron (worker/index.ts): rows nothing
 * will read again. Bounded per run so a backlog drains over a few hours instead of one long batch.
 *
 * @module
 */

/** Ended or expired sessions are kept this long (the user's session list shows only live ones). */
const ENDED_SESSION_DAYS = 30;
/** Used or expired one-time tokens are kept this long (a late click is told "used", not "unknown"). */
const SPENT_TOKEN_DAYS = 1;
/** Counters of windows older than this are over (the longest window is an hour). */
const RATE_LIMIT_RETENTION_SECONDS = 2 * 3600;
const ROWS_PER_RUN = 5000;

export async function pruneAccounts(db: D1Database, now = Date.now()): Promise<void> {
  const daysAgo = (days: number) => new Date(now - days * 86_400_000).toISOString();
  const endedBefore = daysAgo(ENDED_SESSION_DAYS);
  const spentBefore = daysAgo(SPENT_TOKEN_DAYS);
  await db.batch([
    db
      .prepare(
        `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
           WHERE (revoked_at IS NOT NULL AND revoked_at < ?1) OR expires_at < ?1 LIMIT ?2)`,
      )
      .bind(endedBefore, ROWS_PER_RUN),
    db
      .prepare(
        `DELETE FROM one_time_tokens WHERE token_hash IN (SELECT token_hash FROM one_time_tokens
           WHERE (used_at IS NOT NULL AND used_at < ?1) OR expires_at < ?1 LIMIT ?2)`,
      )
      .bind(spentBefore, ROWS_PER_RUN),
    db
      .prepare(
        "DELETE FROM auth_rate_limits WHERE key IN (SELECT key FROM auth_rate_limits WHERE window_start < ?1 LIMIT ?2)",
      )
      .bind(Math.floor(now / 1000) - RATE_LIMIT_RETENTION_SECONDS, ROWS_PER_RUN),
  ]);
}

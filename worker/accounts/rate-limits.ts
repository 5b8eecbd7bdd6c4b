/**
 * Brute-force limits of the account routes: fixed-window counters in D1 (`auth_rate_limits`),
 * one upsert per counted thing, all of a request's counters in one batch (one round trip).
 *
 * Precision: D1 runs the upserts one at a time on the database's primary, so a count is exact
 * across every location and isolate; the window is fixed, so a burst that straddles a boundary
 * can reach twice the limit within one window's length, never more. Counted before the password
 * is hashed, so an attacker pays the limit, not our CPU.
 *
 * @module
 */
import { ApiError } from "../../core/errors";
import { sha256Hex } from "../../core/random";

/** One limit: at most `max` attempts per `windowSeconds`. */
export interface Limit {
  max: number;
  windowSeconds: number;
}

/** What each action allows, per login id (or user) and per client address. */
export const LIMITS = {
  sign_in: { perLoginId: { max: 10, windowSeconds: 900 }, perAddress: { max: 100, windowSeconds: 900 } },
  sign_up: { perLoginId: { max: 5, windowSeconds: 3600 }, perAddress: { max: 20, windowSeconds: 3600 } },
  anonymous: { perLoginId: null, perAddress: { max: 30, windowSeconds: 3600 } },
  redeem: { perLoginId: { max: 10, windowSeconds: 900 }, perAddress: { max: 30, windowSeconds: 900 } },
} as const satisfies Record<string, { perLoginId: Limit | null; perAddress: Limit }>;

export type LimitedAction = keyof typeof LIMITS;

/**
 * The client address Cloudflare saw (`CF-Connecting-IP`, which it sets on every request and a
 * client cannot forge through it); `unknown` when absent (local tools), one shared bucket.
 */
export function clientAddress(headers: Headers): string {
  return headers.get("CF-Connecting-IP") ?? "unknown";
}

/**
 * Counts an attempt at `action` against the login id (if any) and the client address, and
 * refuses it when either is over its limit.
 *
 * @throws {ApiError} `rate_limited` with `details.retry_after_ms` (the error handler sends it as
 * `Retry-After` too).
 */
export async function countAttempt(
  db: D1Database,
  projectId: string,
  action: LimitedAction,
  subjects: { loginId?: string | null; address: string },
): Promise<void> {
  const limits = LIMITS[action];
  const counted: { key: string; limit: Limit }[] = [
    { key: `${projectId}:${action}:address:${subjects.address}`, limit: limits.perAddress },
  ];
  if (limits.perLoginId && subjects.loginId) {
    // Hashed: the table holds no login ids (and every key has a bounded length).
    counted.push({ key: `${projectId}:${action}:id:${await sha256Hex(subjects.loginId)}`, limit: limits.perLoginId });
  }
  const now = Math.floor(Date.now() / 1000);
  const results = await db.batch<{ count: number; window_start: number }>(
    counted.map(({ key, limit }) =>
      db
        .prepare(
          `INSERT INTO auth_rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
           ON CONFLICT (key) DO UPDATE SET
             count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END,
             window_start = excluded.window_start
           RETURNING count, window_start`,
        )
        .bind(key, now - (now % limit.windowSeconds)),
    ),
  );
  let retryAfterSeconds = 0;
  counted.forEach(({ limit }, index) => {
    const row = results[index]?.results[0];
    if (row && row.count > limit.max) {
      retryAfterSeconds = Math.max(retryAfterSeconds, row.window_start + limit.windowSeconds - now);
    }
  });
  if (retryAfterSeconds > 0) {
    throw new ApiError("rate_limited", `Too many attempts; try again in ${retryAfterSeconds} s.`, {
      retry_after_ms: retryAfterSeconds * 1000,
    });
  }
}

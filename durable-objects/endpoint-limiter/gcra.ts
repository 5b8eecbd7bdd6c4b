/**
 * A rate of `limit` requests per minute by the generic cell rate algorithm: one number per key
 * (the "theoretical arrival time" of the next request), exact to the millisecond. It behaves as
 * a bucket of `limit` tokens refilled at `limit` a minute: up to `limit` at once from rest, then
 * one every minute / `limit` (so a minute that starts with a full bucket sees at most
 * 2 × `limit` − 1). Pure, so it is tested without an object.
 */

export const WINDOW_MS = 60_000;

/** The verdict for one request: allowed, or when to come back. */
export type Verdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Decides one request at `now` against the key's arrival time `tat` (0 for a new key) and
 * returns the verdict and the key's next arrival time (unchanged when refused).
 */
export function decide(tat: number, limit: number, now: number): { verdict: Verdict; tat: number } {
  const interval = WINDOW_MS / limit;
  const start = Math.max(tat, now);
  // A request is allowed while the budget it would use stays within one window from now.
  const wait = start + interval - (now + WINDOW_MS);
  if (wait > 0) return { verdict: { allowed: false, retryAfterMs: Math.ceil(wait) }, tat };
  return { verdict: { allowed: true }, tat: start + interval };
}

import type { StateProblem } from "../../core/accounts/oidc";
import { ApiError } from "../../core/errors";

/** How long a browser may spend at the provider between the start and the callback. */
export const AUTHORIZATION_TTL_MS = 10 * 60 * 1000;

/** Expired sign-ins deleted per start, so the sweep's cost per request stays bounded. */
const SWEEP_BATCH = 100;

/** A sign-in in flight, as the start stores it. */
export interface PendingAuthorization {
  state: string;
  provider: string;
  nonce: string;
  /** S256 of the PKCE verifier: base64url(SHA-256(verifier)). */
  code_challenge: string;
  redirect_url: string;
  /** The signed-in user the identity is linked to, or null for a sign-in. */
  link_user_id: string | null;
  expires_at: string;
}

const COLUMNS = "state, provider, nonce, code_challenge, redirect_url, link_user_id, expires_at";

/**
 * Stores a sign-in in flight, and deletes a batch of expired ones (they are useless: their
 * callback is refused either way).
 */
export async function saveAuthorization(db: D1Database, projectId: string, pending: PendingAuthorization) {
  const now = new Date().toISOString();
  await db.batch([
    db
      .prepare(
        `DELETE FROM oidc_authorizations WHERE state IN
           (SELECT state FROM oidc_authorizations WHERE expires_at < ?1 LIMIT ${SWEEP_BATCH})`,
      )
      .bind(now),
    db
      .prepare(
        `INSERT INTO oidc_authorizations (state, project_id, provider, nonce, code_challenge, redirect_url, link_user_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)`,
      )
      .bind(
        pending.state,
        projectId,
        pending.provider,
        pending.nonce,
        pending.code_challenge,
        pending.redirect_url,
        pending.link_user_id,
        now,
        pending.expires_at,
      ),
  ]);
}

/**
 * Claims a sign-in in flight for its one callback: the row must belong to this project and
 * provider, be unexpired, unused, and started with this code challenge. One UPDATE decides, so
 * two callbacks racing with the same state never both win. A wrong verifier does not use the
 * state up: whoever saw a state in a URL cannot spoil the real browser's sign-in.
 *
 * @throws {ApiError} `oidc_state_invalid` with `details.reason` (core/accounts/oidc.ts
 * `STATE_PROBLEMS`).
 */
export async function claimAuthorization(
  db: D1Database,
  projectId: string,
  provider: string,
  state: string,
  codeChallenge: string,
): Promise<PendingAuthorization> {
  const now = new Date().toISOString();
  const claimed = await db
    .prepare(
      `UPDATE oidc_authorizations SET used_at = ?5
       WHERE state = ?1 AND project_id = ?2 AND provider = ?3 AND code_challenge = ?4
         AND used_at IS NULL AND expires_at > ?5
       RETURNING ${COLUMNS}`,
    )
    .bind(state, projectId, provider, codeChallenge, now)
    .first<PendingAuthorization>();
  if (claimed) return claimed;
  throw stateError(await problemWith(db, projectId, provider, state, now));
}

async function problemWith(
  db: D1Database,
  projectId: string,
  provider: string,
  state: string,
  now: string,
): Promise<StateProblem> {
  const row = await db
    .prepare(
      "SELECT expires_at, used_at FROM oidc_authorizations WHERE state = ?1 AND project_id = ?2 AND provider = ?3",
    )
    .bind(state, projectId, provider)
    .first<{ expires_at: string; used_at: string | null }>();
  if (!row) return "unknown";
  if (row.used_at !== null) return "used";
  if (row.expires_at <= now) return "expired";
  return "verifier_mismatch";
}

const STATE_MESSAGES: Record<StateProblem, string> = {
  unknown:
    "No sign-in was started with this state for this provider. Start again with POST /v1/auth/oidc/:provider/start.",
  expired: `The sign-in expired (a start is valid for ${AUTHORIZATION_TTL_MS / 60_000} minutes). Start again.`,
  used: "This sign-in was already completed: a state is good for one callback. Start again.",
  verifier_mismatch:
    "The code_verifier is not the one the start returned: finish the sign-in in the browser that started it.",
};

function stateError(reason: StateProblem) {
  return new ApiError("oidc_state_invalid", STATE_MESSAGES[reason], { reason });
}

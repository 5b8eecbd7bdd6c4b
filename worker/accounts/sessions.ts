/**
 * Sessions: what every way of signing in ends with (password, guest, OpenID Connect), and the
 * refresh that keeps one going.
 *
 * The access token is the project's ordinary JWT (worker/auth/tokens.ts) with the user's id,
 * role and claims and the session's id (`sid`), so documents, files, channels, rooms and watchers
 * treat it exactly like a minted token and check nothing more per request. The price is that a
 * disabled or deleted user's access token keeps working until it expires (the project's
 * `access_token_ttl_seconds`, 15 minutes by default); its session, and so every refresh, ends
 * at once.
 *
 * @module
 */
import { ApiError } from "../../core/errors";
import type { AuthSettings, SessionTokens } from "../../core/rest/accounts";
import {
  getSession,
  newSessionStatement,
  revokeSession,
  rotateSession,
  type SessionRow,
} from "../../data/accounts/sessions";
import { authSettingsStatement, toAuthSettings } from "../../data/accounts/settings";
import {
  type IdentityRow,
  identitiesStatement,
  toAccountUser,
  toUserRecord,
  type UserRecord,
  type UserRow,
  userStatement,
} from "../../data/accounts/users";
import { mintToken } from "../auth/tokens";
import { pepperOf } from "./pepper";
import { isAuthentic, parseRefreshToken, refreshTokenFor } from "./refresh-tokens";

/**
 * How long the previous refresh token still works after a rotation: a client whose refresh
 * answer was lost may retry with it. After that, presenting it is a reuse (a stolen copy) and
 * ends the session.
 */
export const REFRESH_GRACE_SECONDS = 10;

/** Where the sign-in comes from. */
export interface SessionContext {
  /** The User-Agent, shown in the user's session list. */
  device?: string | null | undefined;
}

const DAY_SECONDS = 86_400;

/**
 * Starts a session for a user of the project and answers the sign-in: an access token, a
 * refresh token, the access token's lifetime and the user. For every sign-in method; the
 * caller has checked the credentials.
 *
 * @example
 * const user = await findUserByIdentity(c.env.DB, projectId, "oidc:google", sub);
 * return c.json(await startSession(c.env, projectId, user.id, { device: c.req.header("User-Agent") }));
 *
 * @throws {ApiError} `not_found` when there is no such user, `user_disabled` when it is
 * disabled, `not_configured` without AUTH_PEPPER.
 */
export async function startSession(
  env: Env,
  projectId: string,
  userId: string,
  context: SessionContext = {},
): Promise<SessionTokens> {
  const pepper = pepperOf(env);
  const [users, identities, settingsRows] = await env.DB.batch<unknown>([
    userStatement(env.DB, projectId, userId),
    identitiesStatement(env.DB, projectId, userId),
    authSettingsStatement(env.DB, projectId),
  ]);
  const row = users?.results[0] as UserRow | undefined;
  if (!row) throw new ApiError("not_found", `No user with id "${userId}".`, { user_id: userId });
  const user = toUserRecord(row);
  assertEnabled(user);
  const { settings } = toAuthSettings(settingsRows?.results[0] as { settings: string } | undefined);
  const { row: session, statement } = newSessionStatement(env.DB, {
    projectId,
    userId,
    device: context.device ?? null,
    idleSeconds: settings.session_idle_days * DAY_SECONDS,
  });
  const now = session.created_at;
  await env.DB.batch([
    statement,
    env.DB.prepare("UPDATE users SET last_sign_in_at = ?3 WHERE project_id = ?1 AND id = ?2").bind(
      projectId,
      userId,
      now,
    ),
  ]);
  user.lastSignInAt = now;
  return issueTokens(env, pepper, { ...user }, identities?.results as IdentityRow[], settings, session);
}

/**
 * Trades a refresh token for a new pair (rotation). The current token and, within
 * {@link REFRESH_GRACE_SECONDS} of a rotation, the previous one are accepted; an older token of
 * the session is a reuse and ends the whole session.
 *
 * @throws {ApiError} `invalid_refresh_token` for a token that is malformed, not this project's,
 * of an ended or expired session, or reused; `user_disabled` for a disabled user.
 */
export async function refreshSession(
  env: Env,
  projectId: string,
  refreshToken: string,
  context: SessionContext = {},
): Promise<SessionTokens> {
  const pepper = pepperOf(env);
  const parsed = parseRefreshToken(refreshToken);
  if (!parsed) throw invalidRefreshToken();
  const db = env.DB;
  // One round trip: the session, its user, the user's identities and the project's settings.
  const [sessions, users, identities, settingsRows] = await db.batch<unknown>([
    db.prepare("SELECT * FROM sessions WHERE project_id = ?1 AND id = ?2").bind(projectId, parsed.sessionId),
    db
      .prepare("SELECT * FROM users WHERE project_id = ?1 AND id = (SELECT user_id FROM sessions WHERE id = ?2)")
      .bind(projectId, parsed.sessionId),
    db
      .prepare(
        `SELECT provider, subject, user_id, email, created_at FROM identities
         WHERE project_id = ?1 AND user_id = (SELECT user_id FROM sessions WHERE id = ?2) ORDER BY created_at, provider`,
      )
      .bind(projectId, parsed.sessionId),
    authSettingsStatement(db, projectId),
  ]);
  let session = sessions?.results[0] as SessionRow | undefined;
  const userRow = users?.results[0] as UserRow | undefined;
  if (!session || !userRow || !(await isAuthentic(pepper, session, parsed))) throw invalidRefreshToken();
  const user = toUserRecord(userRow);
  const { settings } = toAuthSettings(settingsRows?.results[0] as { settings: string } | undefined);

  // At most a few tries: each failed compare-and-set means another refresh of this session won
  // the step, and the next read tells whether this token is still good.
  for (let attempt = 0; attempt < 3 && session; attempt++) {
    if (session.revoked_at !== null || Date.parse(session.expires_at) <= Date.now()) throw invalidRefreshToken();
    const from = acceptedGeneration(session, parsed.generation);
    if (from === "reuse") {
      await revokeSession(db, projectId, session.id, "reuse");
      throw invalidRefreshToken();
    }
    assertEnabled(user);
    const rotated = await rotateSession(db, session, from, {
      idleSeconds: settings.session_idle_days * DAY_SECONDS,
      device: context.device ?? null,
    });
    if (rotated) return issueTokens(env, pepper, user, identities?.results as IdentityRow[], settings, rotated);
    session = (await getSession(db, projectId, session.id)) ?? undefined;
  }
  throw invalidRefreshToken();
}

/** The generation to rotate from if this token may refresh the session, or "reuse". */
function acceptedGeneration(session: SessionRow, generation: number): number | "reuse" {
  if (generation === session.generation) return generation;
  const inGrace =
    session.rotated_at !== null && Date.now() - Date.parse(session.rotated_at) < REFRESH_GRACE_SECONDS * 1000;
  if (generation === session.generation - 1 && inGrace) return session.generation;
  // An authentic token of an older generation (one newer than the session cannot be authentic
  // unless the pepper leaked): a copy someone kept.
  return "reuse";
}

function assertEnabled(user: UserRecord) {
  if (user.disabledAt !== null) throw new ApiError("user_disabled", "This account has been disabled.");
}

const invalidRefreshToken = () =>
  new ApiError(
    "invalid_refresh_token",
    "The refresh token is not valid (unknown, expired, already used, or its session ended): sign in again.",
  );

async function issueTokens(
  env: Env,
  pepper: string,
  user: UserRecord,
  identities: readonly IdentityRow[],
  settings: AuthSettings,
  session: SessionRow,
): Promise<SessionTokens> {
  const ttl = settings.access_token_ttl_seconds;
  const [access, refreshToken] = await Promise.all([
    mintToken(
      env.DB,
      user.projectId,
      { user_id: user.id, role: user.role ?? undefined, claims: user.claims, session_id: session.id },
      ttl,
    ),
    refreshTokenFor(pepper, session, session.generation),
  ]);
  return {
    access_token: access.token,
    refresh_token: refreshToken,
    expires_in: ttl,
    user: toAccountUser(user, identities ?? []),
  };
}

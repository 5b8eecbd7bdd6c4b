import { Hono } from "hono";
import { ApiError } from "../../core/errors";
import {
  AccountUserSchema,
  OneTimeTokenRequestBody,
  OneTimeTokenSchema,
  ResetPasswordBody,
  SessionTokensSchema,
  VerifyEmailBody,
} from "../../core/rest/accounts";
import { findUserByIdentity } from "../../data/accounts/identities";
import {
  issueOneTimeToken,
  type OneTimePurpose,
  oneTimeTokenHash,
  peekOneTimeToken,
  redeemOneTimeToken,
} from "../../data/accounts/one-time-tokens";
import { getAuthSettings } from "../../data/accounts/settings";
import { PASSWORD_PROVIDER, requireAccountUser } from "../../data/accounts/users";
import { normalizeLoginId } from "../accounts/login-ids";
import { configuredIterations, hashPassword } from "../accounts/password-hash";
import { assertPasswordAllowed } from "../accounts/password-policy";
import { pepperOf } from "../accounts/pepper";
import { clientAddress, countAttempt } from "../accounts/rate-limits";
import { deviceOf } from "../accounts/require-session";
import { startSession } from "../accounts/sessions";
import { sendAccountEvent } from "../accounts/webhook";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";

const invalidToken = () =>
  new ApiError("invalid_one_time_token", "This token is not valid: it is unknown, expired or already used.");

/** Counts a redemption, then finds the live token's user (null: refuse with invalidToken). */
async function liveTokenUser(
  db: D1Database,
  projectId: string,
  purpose: OneTimePurpose,
  token: string,
  headers: Headers,
): Promise<{ tokenHash: string; userId: string }> {
  await countAttempt(db, projectId, "redeem", { address: clientAddress(headers) });
  const tokenHash = await oneTimeTokenHash(token);
  const userId = tokenHash ? await peekOneTimeToken(db, projectId, purpose, tokenHash) : null;
  if (!tokenHash || !userId) throw invalidToken();
  // Per user too: a flood of redemptions for one account is refused like sign-ins are.
  await countAttempt(db, projectId, "redeem", { loginId: userId, address: `user:${userId}` });
  return { tokenHash, userId };
}

/** `/v1/auth`: password reset and email verification without Flarebase sending mail. */
export const accountRecoveryRoutes = new Hono<AppEnv>()
  .post(
    "/one-time-tokens",
    route({
      summary: "Issue a password-reset or email-verification token",
      description:
        "For the app's server (secret key), which delivers the token itself (its own mailer, a link to its reset page). Single use; earlier unused tokens of the same purpose for the user stop working. Also sent to the project's webhook, if it has one.",
      auth: "secret",
      body: OneTimeTokenRequestBody,
      responses: { 201: { description: "The token, shown once.", body: OneTimeTokenSchema } },
      errors: ["not_found", "conflict"],
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { projectId } = c.var.auth;
      const stored = await getAuthSettings(c.env.DB, projectId);
      const loginId = body.login_id === undefined ? null : normalizeLoginId(body.login_id, stored.settings.login_id);
      const found =
        body.user_id !== undefined
          ? await requireAccountUser(c.env.DB, projectId, body.user_id).catch(() => null)
          : loginId
            ? await findUserByIdentity(c.env.DB, projectId, PASSWORD_PROVIDER, loginId).then((user) =>
                user ? requireAccountUser(c.env.DB, projectId, user.id) : null,
              )
            : null;
      if (!found) throw new ApiError("not_found", "No such user.");
      if (found.login_id === null) {
        throw new ApiError(
          "conflict",
          "This user has no login id (a guest, or OpenID Connect only): it has no password or email to reset or verify.",
        );
      }
      const { token, expiresAt } = await issueOneTimeToken(c.env.DB, {
        projectId,
        userId: found.id,
        purpose: body.purpose,
        ttlSeconds: body.ttl_seconds,
      });
      const answer = { token, purpose: body.purpose, user_id: found.id, expires_at: expiresAt };
      sendAccountEvent(
        c,
        stored,
        body.purpose === "password_reset" ? "password_reset.requested" : "verify_email.requested",
        {
          ...answer,
          login_id: found.login_id,
        },
      );
      return c.json(answer, 201);
    },
  )

  .post(
    "/password-reset",
    route({
      summary: "Reset a password with a reset token",
      description:
        "The user redeems the token the app delivered: a new password (the project's policy applies), every session of the user ends, and a new one starts. Rate limited per client address and per user.",
      auth: "project",
      body: ResetPasswordBody,
      responses: { 200: { description: "The new session.", body: SessionTokensSchema } },
      errors: ["invalid_one_time_token", "weak_password", "user_disabled", "rate_limited", "not_configured"],
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { projectId } = c.var.auth;
      const pepper = pepperOf(c.env);
      const { tokenHash, userId } = await liveTokenUser(
        c.env.DB,
        projectId,
        "password_reset",
        body.token,
        c.req.raw.headers,
      );
      const [{ settings }, user] = await Promise.all([
        getAuthSettings(c.env.DB, projectId),
        requireAccountUser(c.env.DB, projectId, userId),
      ]);
      // The policy first: a refused password leaves the token usable for a better one.
      assertPasswordAllowed(body.new_password, settings, user.login_id);
      const passwordHash = await hashPassword(body.new_password, pepper, configuredIterations(c.env));
      const redeemed = await redeemOneTimeToken(c.env.DB, { projectId, purpose: "password_reset", tokenHash }, [
        {
          sql: (owner) =>
            `UPDATE users SET password_hash = ?5, updated_at = ?4 WHERE project_id = ?2 AND id = ${owner}`,
          binds: [passwordHash],
        },
        {
          sql: (owner) =>
            `UPDATE sessions SET revoked_at = ?4, revoked_reason = 'password_reset'
             WHERE project_id = ?2 AND user_id = ${owner} AND revoked_at IS NULL`,
          binds: [],
        },
      ]);
      if (!redeemed) throw invalidToken();
      return c.json(await startSession(c.env, projectId, redeemed, { device: deviceOf(c.req.raw.headers) }));
    },
  )

  .post(
    "/verify-email",
    route({
      summary: "Verify an email address with a verification token",
      description: "The user redeems the token the app delivered; the user's email_verified becomes true.",
      auth: "project",
      body: VerifyEmailBody,
      responses: { 200: { description: "The user.", body: AccountUserSchema } },
      errors: ["invalid_one_time_token", "rate_limited"],
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { projectId } = c.var.auth;
      const { tokenHash } = await liveTokenUser(c.env.DB, projectId, "verify_email", body.token, c.req.raw.headers);
      const redeemed = await redeemOneTimeToken(c.env.DB, { projectId, purpose: "verify_email", tokenHash }, [
        {
          sql: (owner) =>
            `UPDATE users SET email_verified_at = coalesce(email_verified_at, ?4), updated_at = ?4
             WHERE project_id = ?2 AND id = ${owner}`,
          binds: [],
        },
      ]);
      if (!redeemed) throw invalidToken();
      return c.json(await requireAccountUser(c.env.DB, projectId, redeemed));
    },
  );

import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import {
  AccountUserSchema,
  ChangePasswordBody,
  LinkPasswordBody,
  SessionListSchema,
  UpdateProfileBody,
} from "../../core/rest/accounts";
import { linkIdentity } from "../../data/accounts/identities";
import {
  listLiveSessions,
  revokeSession,
  revokeUserSessionsStatement,
  SESSION_ID_PATTERN,
} from "../../data/accounts/sessions";
import { getAuthSettings } from "../../data/accounts/settings";
import { getUser, PASSWORD_PROVIDER, requireAccountUser } from "../../data/accounts/users";
import { loginIdRule, normalizeLoginId } from "../accounts/login-ids";
import { configuredIterations, hashPassword, verifyPassword } from "../accounts/password-hash";
import { assertPasswordAllowed } from "../accounts/password-policy";
import { pepperOf } from "../accounts/pepper";
import { clientAddress, countAttempt } from "../accounts/rate-limits";
import { requireAccountSession } from "../accounts/require-session";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";

const SessionParams = z.object({ id: z.string().regex(SESSION_ID_PATTERN, "a session id") });

/** Every route here is the signed-in user's own: an account session's access token, still live. */
const OWN: { auth: "project"; checks: MiddlewareHandler<AppEnv>[] } = {
  auth: "project",
  checks: [requireAccountSession],
};
const OWN_ERRORS = ["forbidden"] as const;

/** The signed-in user (`c.var.auth` after requireAccountSession). */
const self = (c: { var: { auth: { projectId: string; userId: string | null; sessionId: string | null } } }) => ({
  projectId: c.var.auth.projectId,
  userId: c.var.auth.userId as string,
  sessionId: c.var.auth.sessionId as string,
});

/** `/v1/auth`: the signed-in user's account and sessions. */
export const accountSelfRoutes = new Hono<AppEnv>()
  .get(
    "/user",
    route({
      summary: "The signed-in user",
      description: "Checks that the session is still live (a disabled or deleted user is refused at once here).",
      ...OWN,
      responses: { 200: { description: "The user.", body: AccountUserSchema } },
      errors: OWN_ERRORS,
    }),
    async (c) => {
      const { projectId, userId } = self(c);
      return c.json(await requireAccountUser(c.env.DB, projectId, userId));
    },
  )

  .patch(
    "/user",
    route({
      summary: "Update the signed-in user's display name or profile",
      ...OWN,
      body: UpdateProfileBody,
      responses: { 200: { description: "The updated user.", body: AccountUserSchema } },
      errors: OWN_ERRORS,
    }),
    async (c) => {
      const { projectId, userId } = self(c);
      const body = c.req.valid("json");
      await c.env.DB.prepare(
        `UPDATE users SET display_name = CASE WHEN ?3 THEN ?4 ELSE display_name END,
           profile = coalesce(?5, profile), updated_at = ?6
         WHERE project_id = ?1 AND id = ?2`,
      )
        .bind(
          projectId,
          userId,
          body.display_name === undefined ? 0 : 1,
          body.display_name ?? null,
          body.profile ? JSON.stringify(body.profile) : null,
          new Date().toISOString(),
        )
        .run();
      return c.json(await requireAccountUser(c.env.DB, projectId, userId));
    },
  )

  .post(
    "/link/password",
    route({
      summary: "Give the signed-in user a login id and a password",
      description:
        "Upgrades a guest (or a user who signs in with OpenID Connect) in place: the same user id, so its documents, files and room history stay its own. Its sessions go on.",
      ...OWN,
      body: LinkPasswordBody,
      responses: { 200: { description: "The user, no longer anonymous.", body: AccountUserSchema } },
      errors: [...OWN_ERRORS, "weak_password", "identity_conflict", "conflict", "rate_limited", "not_configured"],
    }),
    async (c) => {
      const { projectId, userId } = self(c);
      const body = c.req.valid("json");
      const pepper = pepperOf(c.env);
      const { settings } = await getAuthSettings(c.env.DB, projectId);
      const loginId = normalizeLoginId(body.login_id, settings.login_id);
      if (!loginId) {
        throw new ApiError("invalid_request", `login_id must be ${loginIdRule(settings.login_id)}.`, {
          issues: [{ path: "login_id", message: `must be ${loginIdRule(settings.login_id)}` }],
        });
      }
      await countAttempt(c.env.DB, projectId, "sign_up", { loginId, address: clientAddress(c.req.raw.headers) });
      const user = await requireAccountUser(c.env.DB, projectId, userId);
      if (user.login_id !== null) {
        throw new ApiError("conflict", "This user already has a password; change it with POST /v1/auth/password.");
      }
      assertPasswordAllowed(body.password, settings, loginId);
      const passwordHash = await hashPassword(body.password, pepper, configuredIterations(c.env));
      const identity = {
        provider: PASSWORD_PROVIDER,
        subject: loginId,
        email: settings.login_id === "email" ? loginId : null,
      };
      return c.json(await linkIdentity(c.env.DB, projectId, userId, identity, { passwordHash }));
    },
  )

  .post(
    "/password",
    route({
      summary: "Change the signed-in user's password",
      description:
        "Needs the current password. Every other session of the user ends (a thief signed in elsewhere is signed out); this one goes on.",
      ...OWN,
      body: ChangePasswordBody,
      responses: { 200: { description: "The user.", body: AccountUserSchema } },
      errors: [...OWN_ERRORS, "invalid_credentials", "weak_password", "rate_limited", "not_configured"],
    }),
    async (c) => {
      const { projectId, userId, sessionId } = self(c);
      const body = c.req.valid("json");
      const pepper = pepperOf(c.env);
      const iterations = configuredIterations(c.env);
      await countAttempt(c.env.DB, projectId, "sign_in", {
        loginId: userId,
        address: clientAddress(c.req.raw.headers),
      });
      const [user, { settings }] = await Promise.all([
        getUser(c.env.DB, projectId, userId),
        getAuthSettings(c.env.DB, projectId),
      ]);
      const check = user?.passwordHash
        ? await verifyPassword(body.current_password, user.passwordHash, pepper, iterations)
        : { valid: false };
      if (!check.valid) throw new ApiError("invalid_credentials", "The current password is wrong.");
      const current = await requireAccountUser(c.env.DB, projectId, userId);
      assertPasswordAllowed(body.new_password, settings, current.login_id);
      const passwordHash = await hashPassword(body.new_password, pepper, iterations);
      await c.env.DB.batch([
        c.env.DB.prepare("UPDATE users SET password_hash = ?3, updated_at = ?4 WHERE project_id = ?1 AND id = ?2").bind(
          projectId,
          userId,
          passwordHash,
          new Date().toISOString(),
        ),
        revokeUserSessionsStatement(c.env.DB, projectId, userId, "password_changed", sessionId),
      ]);
      return c.json(await requireAccountUser(c.env.DB, projectId, userId));
    },
  )

  .get(
    "/sessions",
    route({
      summary: "The signed-in user's sessions",
      description: "Live sessions, newest first (at most 100), with the device each signed in from.",
      ...OWN,
      responses: { 200: { description: "The sessions.", body: SessionListSchema } },
      errors: OWN_ERRORS,
    }),
    async (c) => {
      const { projectId, userId, sessionId } = self(c);
      const rows = await listLiveSessions(c.env.DB, projectId, userId);
      const items = rows.map((row) => ({
        id: row.id,
        device: row.device,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        current: row.id === sessionId,
      }));
      return c.json({ items, next_cursor: null });
    },
  )

  .delete(
    "/sessions/:id",
    route({
      summary: "End one of the signed-in user's sessions",
      description: "Its refresh token stops working; its current access token lives until it expires.",
      ...OWN,
      params: SessionParams,
      responses: { 204: { description: "The session has ended." } },
      errors: [...OWN_ERRORS, "not_found"],
    }),
    async (c) => {
      const { projectId, userId } = self(c);
      const { id } = c.req.valid("param");
      if (!(await revokeSession(c.env.DB, projectId, id, "revoked", userId))) {
        throw new ApiError("not_found", "No live session with this id.", { session_id: id });
      }
      return c.body(null, 204);
    },
  )

  .delete(
    "/sessions",
    route({
      summary: "End every session of the signed-in user",
      description: "Signs the user out everywhere, this session included.",
      ...OWN,
      responses: { 204: { description: "Every session has ended." } },
      errors: OWN_ERRORS,
    }),
    async (c) => {
      const { projectId, userId } = self(c);
      await revokeUserSessionsStatement(c.env.DB, projectId, userId, "revoked").run();
      return c.body(null, 204);
    },
  );

import { Hono } from "hono";
import { ApiError } from "../../core/errors";
import {
  AnonymousSignInBody,
  RefreshBody,
  SessionTokensSchema,
  SignInBody,
  SignUpBody,
} from "../../core/rest/accounts";
import { findUserByIdentity } from "../../data/accounts/identities";
import { getSession, revokeSession } from "../../data/accounts/sessions";
import { getAuthSettings } from "../../data/accounts/settings";
import { createUser, PASSWORD_PROVIDER } from "../../data/accounts/users";
import { loginIdRule, normalizeLoginId } from "../accounts/login-ids";
import { burnPasswordCheck, configuredIterations, hashPassword, verifyPassword } from "../accounts/password-hash";
import { assertPasswordAllowed } from "../accounts/password-policy";
import { pepperOf } from "../accounts/pepper";
import { clientAddress, countAttempt } from "../accounts/rate-limits";
import { isAuthentic, parseRefreshToken } from "../accounts/refresh-tokens";
import { deviceOf } from "../accounts/require-session";
import { refreshSession, startSession } from "../accounts/sessions";
import { sendAccountEvent } from "../accounts/webhook";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";

const SIGN_IN_ANSWER = "The new session: an access token (the project's JWT), a refresh token and the user.";

/** The typed refusal of a login id that is not of the project's kind. */
function invalidLoginId(kind: "email" | "username") {
  return new ApiError("invalid_request", `login_id must be ${loginIdRule(kind)}.`, {
    issues: [{ path: "login_id", message: `must be ${loginIdRule(kind)}` }],
  });
}

/** `/v1/auth`: signing up, signing in (password, guest), refreshing and signing out. */
export const accountRoutes = new Hono<AppEnv>()
  .post(
    "/sign-up",
    route({
      summary: "Sign up with a login id and a password",
      description:
        "Creates a user with a password identity and signs it in. The login id is an email or a user name, as the project's settings say; the password must pass the project's policy. Rate limited per login id and per client address.",
      auth: "project",
      body: SignUpBody,
      responses: { 201: { description: SIGN_IN_ANSWER, body: SessionTokensSchema } },
      errors: ["weak_password", "identity_conflict", "forbidden", "rate_limited", "not_configured"],
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { projectId, kind } = c.var.auth;
      const pepper = pepperOf(c.env);
      const stored = await getAuthSettings(c.env.DB, projectId);
      const { settings } = stored;
      if (!settings.allow_sign_up && kind !== "secret") {
        throw new ApiError("forbidden", "This project does not let users sign up themselves.");
      }
      const loginId = normalizeLoginId(body.login_id, settings.login_id);
      if (!loginId) throw invalidLoginId(settings.login_id);
      await countAttempt(c.env.DB, projectId, "sign_up", { loginId, address: clientAddress(c.req.raw.headers) });
      assertPasswordAllowed(body.password, settings, loginId);
      const passwordHash = await hashPassword(body.password, pepper, configuredIterations(c.env));
      const user = await createUser(
        c.env.DB,
        projectId,
        { displayName: body.display_name ?? null, profile: body.profile ?? {}, passwordHash },
        { provider: PASSWORD_PROVIDER, subject: loginId, email: settings.login_id === "email" ? loginId : null },
      );
      const answer = await startSession(c.env, projectId, user.id, { device: deviceOf(c.req.raw.headers) });
      sendAccountEvent(c, stored, "user.created", { user: answer.user });
      return c.json(answer, 201);
    },
  )

  .post(
    "/sign-in",
    route({
      summary: "Sign in with a login id and a password",
      description:
        "A wrong password and a login id that does not exist get the same answer (invalid_credentials) after the same work. A password hashed at an older cost is re-hashed at today's. Rate limited per login id and per client address.",
      auth: "project",
      body: SignInBody,
      responses: { 200: { description: SIGN_IN_ANSWER, body: SessionTokensSchema } },
      errors: ["invalid_credentials", "user_disabled", "rate_limited", "not_configured"],
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { projectId } = c.var.auth;
      const pepper = pepperOf(c.env);
      const iterations = configuredIterations(c.env);
      const { settings } = await getAuthSettings(c.env.DB, projectId);
      const loginId = normalizeLoginId(body.login_id, settings.login_id);
      await countAttempt(c.env.DB, projectId, "sign_in", {
        loginId: loginId ?? body.login_id.trim().toLowerCase(),
        address: clientAddress(c.req.raw.headers),
      });
      const user = loginId ? await findUserByIdentity(c.env.DB, projectId, PASSWORD_PROVIDER, loginId) : null;
      const check = user?.passwordHash
        ? await verifyPassword(body.password, user.passwordHash, pepper, iterations)
        : await burnPasswordCheck(body.password, pepper, iterations).then(() => ({ valid: false, needsRehash: false }));
      if (!user || !check.valid) throw new ApiError("invalid_credentials", "Wrong login id or password.");
      if (user.disabledAt !== null) throw new ApiError("user_disabled", "This account has been disabled.");
      if (check.needsRehash) {
        await c.env.DB.prepare("UPDATE users SET password_hash = ?3 WHERE project_id = ?1 AND id = ?2")
          .bind(projectId, user.id, await hashPassword(body.password, pepper, iterations))
          .run();
      }
      return c.json(await startSession(c.env, projectId, user.id, { device: deviceOf(c.req.raw.headers) }));
    },
  )

  .post(
    "/anonymous",
    route({
      summary: "Sign in as a guest",
      description:
        "Creates a user with is_anonymous: true and signs it in. Linking a password or an OpenID Connect identity later keeps its user id, so what it owns stays its own. Rate limited per client address.",
      auth: "project",
      body: AnonymousSignInBody,
      responses: { 201: { description: SIGN_IN_ANSWER, body: SessionTokensSchema } },
      errors: ["forbidden", "rate_limited", "not_configured"],
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { projectId } = c.var.auth;
      pepperOf(c.env);
      const { settings } = await getAuthSettings(c.env.DB, projectId);
      if (!settings.allow_anonymous) throw new ApiError("forbidden", "This project does not allow guests.");
      await countAttempt(c.env.DB, projectId, "anonymous", { address: clientAddress(c.req.raw.headers) });
      const user = await createUser(
        c.env.DB,
        projectId,
        { isAnonymous: true, displayName: body.display_name ?? null, profile: body.profile ?? {} },
        null,
      );
      return c.json(await startSession(c.env, projectId, user.id, { device: deviceOf(c.req.raw.headers) }), 201);
    },
  )

  .post(
    "/refresh",
    route({
      summary: "Refresh a session",
      description:
        "Trades the refresh token for a new access token and a new refresh token (rotation). The previous refresh token still works for 10 seconds (a lost answer retried); an older one is taken as stolen and ends the session.",
      auth: "project",
      body: RefreshBody,
      responses: { 200: { description: "The session's new tokens and the user.", body: SessionTokensSchema } },
      errors: ["invalid_refresh_token", "user_disabled", "not_configured"],
    }),
    async (c) => {
      const { refresh_token } = c.req.valid("json");
      const device = deviceOf(c.req.raw.headers);
      return c.json(await refreshSession(c.env, c.var.auth.projectId, refresh_token, { device }));
    },
  )

  .post(
    "/sign-out",
    route({
      summary: "Sign out",
      description:
        "Ends the session of this refresh token: it and every token of the session stop refreshing (the current access token lives until it expires). Answers 204 whatever the token, so signing out never fails.",
      auth: "project",
      body: RefreshBody,
      responses: { 204: { description: "The session has ended (or there was none)." } },
      errors: ["not_configured"],
    }),
    async (c) => {
      const { refresh_token } = c.req.valid("json");
      const { projectId } = c.var.auth;
      const pepper = pepperOf(c.env);
      const parsed = parseRefreshToken(refresh_token);
      const session = parsed ? await getSession(c.env.DB, projectId, parsed.sessionId) : null;
      if (parsed && session && (await isAuthentic(pepper, session, parsed))) {
        await revokeSession(c.env.DB, projectId, session.id, "sign_out");
      }
      return c.body(null, 204);
    },
  );

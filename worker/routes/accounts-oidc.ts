import { Hono } from "hono";
import { z } from "zod";
import { OidcCallbackBody, OidcProviderName, OidcStartBody, OidcStartSchema } from "../../core/accounts/oidc";
import { ApiError } from "../../core/errors";
import { SessionTokensSchema } from "../../core/rest/accounts";
import { getUser } from "../../data/accounts/users";
import { userForIdentity } from "../accounts/oidc/identity";
import { finishSignIn, startSignIn } from "../accounts/oidc/sign-in";
import { clientAddress, countAttempt } from "../accounts/rate-limits";
import { deviceOf } from "../accounts/require-session";
import { startSession } from "../accounts/sessions";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";
import { oidcProviderRoutes } from "./accounts-oidc-providers";

const ProviderParams = z.object({ provider: OidcProviderName });

/**
 * Mounted under `/v1/auth`: `/oidc/:provider/start` and `/callback`, signing in with an OpenID
 * Connect provider in two steps around the browser's visit to it (docs/auth.md#openid-connect);
 * any credential of the project may call them (a public key in a browser), linking needs the
 * user's own token. And `/oidc-providers`, their configuration (secret key).
 */
export const accountsOidcRoutes = new Hono<AppEnv>()
  .post(
    "/oidc/:provider/start",
    route({
      summary: "Start an OpenID Connect sign-in",
      description:
        "Answers the provider's authorization URL (code flow with PKCE) and the code verifier. Send the browser to the URL; keep the state and verifier in the browser. With `link: true` (a user token), the identity is linked to that user instead.",
      auth: "project",
      params: ProviderParams,
      body: OidcStartBody,
      responses: { 200: { description: "Where to send the browser, and what to keep.", body: OidcStartSchema } },
      errors: ["not_found", "forbidden", "redirect_url_not_allowed", "oidc_provider_unavailable", "rate_limited"],
    }),
    async (c) => {
      const { provider } = c.req.valid("param");
      const { redirect_url, link } = c.req.valid("json");
      const auth = c.var.auth;
      if (link && (auth.kind !== "user" || auth.userId === null)) {
        throw new ApiError(
          "forbidden",
          "Linking an identity needs the signed-in user's token (Authorization: Bearer).",
        );
      }
      if (link && !(await getUser(c.env.DB, auth.projectId, auth.userId as string))) {
        throw new ApiError("not_found", "The signed-in user has no account to link an identity to.", {
          user_id: auth.userId,
        });
      }
      // A start stores a row and reaches out to the provider: it counts as a sign-in attempt of
      // the client's address (a callback needs a start's state, so it is bounded by them).
      await countAttempt(c.env.DB, auth.projectId, "sign_in", { address: clientAddress(c.req.raw.headers) });
      const linkUserId = link ? auth.userId : null;
      return c.json(await startSignIn(c.env.DB, auth.projectId, provider, { redirectUrl: redirect_url, linkUserId }));
    },
  )

  .post(
    "/oidc/:provider/callback",
    route({
      summary: "Finish an OpenID Connect sign-in",
      description:
        "With what the provider sent the browser back with (`code` and `state`, or `error`) and the start's `code_verifier`: the code is exchanged, the ID token verified, and the user found, created or (for a link) given the identity. Answers a session, like a password sign-in. A state is good for one callback.",
      auth: "project",
      params: ProviderParams,
      body: OidcCallbackBody,
      responses: { 200: { description: "The session.", body: SessionTokensSchema } },
      errors: [
        "not_found",
        "oidc_state_invalid",
        "oidc_authorization_failed",
        "oidc_exchange_failed",
        "oidc_id_token_invalid",
        "oidc_provider_unavailable",
        "identity_conflict",
        "user_disabled",
        "not_configured",
      ],
    }),
    async (c) => {
      const { provider } = c.req.valid("param");
      const body = c.req.valid("json");
      const projectId = c.var.auth.projectId;
      const { claims, linkUserId } = await finishSignIn(c.env.DB, projectId, provider, {
        state: body.state,
        codeVerifier: body.code_verifier,
        code: body.code,
        error: body.error,
        errorDescription: body.error_description,
      });
      const userId = await userForIdentity(c.env.DB, projectId, provider, claims, linkUserId);
      return c.json(await startSession(c.env, projectId, userId, { device: deviceOf(c.req.raw.headers) }));
    },
  )

  .route("/oidc-providers", oidcProviderRoutes);

import { createMiddleware } from "hono/factory";
import { ApiError } from "../../core/errors";
import { getSession } from "../../data/accounts/sessions";
import type { AppEnv } from "../app-env";

/**
 * Route check for the signed-in user's own routes (`/v1/auth/user`, `/v1/auth/sessions`, …): the
 * caller must present the access token of an account session, and that session must still be
 * live. This is where a disabled user, a deleted one or an ended session is refused at once,
 * without waiting for the access token to expire (other routes take the token at its word).
 */
export const requireAccountSession = createMiddleware<AppEnv>(async (c, next) => {
  const { kind, sessionId, userId, projectId } = c.var.auth;
  if (kind !== "user" || sessionId === null || userId === null) {
    throw new ApiError(
      "forbidden",
      "This endpoint needs the access token of a signed-in user (from sign-in or refresh), not an API key or a minted token.",
    );
  }
  const session = await getSession(c.env.DB, projectId, sessionId);
  if (!session || session.revoked_at !== null || session.user_id !== userId) {
    throw new ApiError("unauthorized", "This session has ended: sign in again.");
  }
  await next();
});

/** The User-Agent of the request, kept as the session's device. */
export const deviceOf = (headers: Headers) => headers.get("User-Agent");

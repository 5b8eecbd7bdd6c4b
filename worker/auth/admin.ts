import { createMiddleware } from "hono/factory";
import { ApiError } from "../../core/errors";
import { constantTimeEqual } from "../../core/random";
import type { AppEnv } from "../app-env";

/**
 * Middleware for `/v1/admin/*`: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant
 * time. Without the secret configured, admin routes are off rather than open.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) {
    throw new ApiError(
      "not_configured",
      "The admin API is disabled because ADMIN_TOKEN is not set. Locally, `npm run dev` writes it to .dev.vars; when deployed, run `npx wrangler secret put ADMIN_TOKEN`.",
    );
  }
  const presented = c.req.header("Authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (!presented || !(await constantTimeEqual(presented, expected))) {
    throw new ApiError("unauthorized", "Admin routes need Authorization: Bearer <ADMIN_TOKEN>.");
  }
  await next();
});

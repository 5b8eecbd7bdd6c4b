import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../core/errors";
import type { AppEnv } from "./app-env";

/**
 * The single place errors become responses. Our own `ApiError`s carry their code; Hono's
 * `HTTPException`s (from its middleware) keep their status with a generic code; anything else is
 * logged with the request id and answered with a bare 500, never a stack or a message.
 */
export const onError: ErrorHandler<AppEnv> = (error, c) => {
  const apiError = toApiError(error);
  if (apiError.code === "internal") {
    console.error(`Unhandled error in ${c.req.method} ${c.req.path} (request ${c.get("requestId")}):`, error);
  }
  if (apiError.code === "origin_not_allowed") {
    // The CORS layer reflected the origin before the project was known: take it back, so a
    // refused origin's page cannot read even the refusal.
    c.res.headers.delete("Access-Control-Allow-Origin");
    c.res.headers.delete("Access-Control-Expose-Headers");
  }
  const retryAfterMs = (apiError.details as { retry_after_ms?: unknown } | undefined)?.retry_after_ms;
  if (apiError.code === "rate_limited" && typeof retryAfterMs === "number") {
    c.header("Retry-After", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  }
  return c.json(apiError.toBody(), apiError.status as ContentfulStatusCode);
};

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException && error.status < 500) {
    return new ApiError("invalid_request", error.message || "The request could not be processed.", undefined, {
      status: error.status,
    });
  }
  return new ApiError("internal", "Something went wrong on our side. The request id in X-Request-Id helps find it.");
}

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  c.json(new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}.`).toBody(), 404);

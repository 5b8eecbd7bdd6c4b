import type { EndpointRateLimit } from "../../core/endpoints/wire";
import { ApiError } from "../../core/errors";
import { endpointLimiterName } from "../../durable-objects/endpoint-limiter/endpoint-limiter";
import type { AuthContext } from "../auth/auth-context";

/**
 * Who a caller is for a per-caller limit: a user by id; a key's caller by address, since everyone
 * with the app's public key shares it (a secret key counts as one caller).
 */
export function callerKey(auth: AuthContext, clientIp: string | null): string {
  if (auth.kind === "user" && auth.userId) return `user:${auth.userId}`;
  if (auth.kind === "secret") return `key:${auth.keyId}`;
  return `ip:${clientIp ?? "unknown"}`;
}

/**
 * Counts one call against the endpoint's rate limits, in its limiter object. Endpoints without a
 * limit never ask (no round trip).
 *
 * @throws {ApiError} `rate_limited` (429) with `details.retry_after_ms` and `details.scope`
 * (`label` or `caller`); the proxy adds `Retry-After`.
 */
export async function takeRateLimit(
  env: Env,
  endpoint: { projectId: string; label: string; rateLimit: EndpointRateLimit },
  caller: string,
): Promise<void> {
  const { per_label: perLabel, per_caller: perCaller } = endpoint.rateLimit;
  if (perLabel === null && perCaller === null) return;
  const limiter = env.ENDPOINT_LIMITER.getByName(endpointLimiterName(endpoint.projectId, endpoint.label));
  const answer = await limiter.take({ perLabel, perCaller, caller });
  if (answer.allowed) return;
  const limit = answer.scope === "label" ? perLabel : perCaller;
  const whose = answer.scope === "label" ? "this endpoint" : "each caller of this endpoint";
  throw new ApiError(
    "rate_limited",
    `Endpoint "${endpoint.label}" takes ${limit} requests a minute from ${whose}. Retry after ${Math.ceil(answer.retryAfterMs / 1000)} s.`,
    { label: endpoint.label, scope: answer.scope, retry_after_ms: answer.retryAfterMs },
  );
}

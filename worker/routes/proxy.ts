import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { assertMayCall } from "../../data/endpoints/access";
import { getEndpoint } from "../../data/endpoints/endpoints";
import type { AppEnv } from "../app-env";
import { forward } from "../endpoints/forward";
import { callerResponseHeaders } from "../endpoints/headers";
import { callerKey, takeRateLimit } from "../endpoints/rate-limit";
import { bodyTooLarge } from "../endpoints/request-body";
import { EndpointLabel } from "../endpoints/settings-input";
import { route } from "../openapi/route";

/** The methods the proxy forwards (HEAD through GET's route; OPTIONS is the CORS preflight's). */
const PROXIED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Set on every error the proxy itself answers, so a caller tells them from the upstream's own. */
export const PROXY_ERROR_HEADER = "X-Flarebase-Error";

/**
 * Marks the proxy's own error answers with `X-Flarebase-Error: <code>` (and `Retry-After` for
 * `rate_limited`), and lets a browser read every header of an upstream's answer.
 */
export const markProxyAnswers: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const error = c.error;
  if (error instanceof ApiError) {
    c.res.headers.set(PROXY_ERROR_HEADER, error.code);
    const retryAfterMs = (error.details as { retry_after_ms?: number } | undefined)?.retry_after_ms;
    if (error.code === "rate_limited" && retryAfterMs !== undefined) {
      c.res.headers.set("Retry-After", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    }
  }
  if (c.res.headers.has("Access-Control-Allow-Origin")) {
    const names = [...new Set([...c.res.headers.keys()].filter((name) => !name.startsWith("access-control-")))];
    c.res.headers.set("Access-Control-Expose-Headers", names.join(", "));
  }
};

const ProxyParams = z.object({
  label: EndpointLabel,
  path: z.string().optional().meta({ description: "The path on the upstream, e.g. v1/chat/completions" }),
});

/** `/v1/proxy/<label>` as written and the path after it (`/` when nothing follows). */
function splitPath(url: URL): { prefix: string; rest: string } {
  const after = url.pathname.slice("/v1/proxy/".length);
  const slash = after.indexOf("/");
  const label = slash === -1 ? after : after.slice(0, slash);
  return { prefix: `/v1/proxy/${label}`, rest: slash === -1 ? "/" : after.slice(slash) };
}

/**
 * `ANY /v1/proxy/:label/*`: the endpoint proxy (docs/endpoints.md). The caller authenticates as
 * for any route; the order of refusals is unknown label, not allowed, body too large, rate limit.
 */
export const proxyRoutes = new Hono<AppEnv>().on(
  PROXIED_METHODS,
  // `/*` also matches the bare label (`/v1/proxy/comfy`: the upstream's root).
  "/:label/*",
  route({
    summary: "Call an endpoint",
    description:
      "Forwards the method, the rest of the path, the query and the body (streamed, as they are) to the endpoint's upstream or tunnel, and streams its answer back as it arrives: status, headers and body. The caller's credentials (`X-API-Key`, `Authorization`, cookies) and hop-by-hop headers are not forwarded; the endpoint's secret headers and `X-Forwarded-For`, `-Host`, `-Proto` and `-Prefix` are added. Errors of the proxy itself carry `X-Flarebase-Error: <code>`; any other answer is the upstream's. Request and response bodies pass through unchanged, so neither has a schema here.",
    auth: "project",
    params: ProxyParams,
    responses: {
      200: { description: "The upstream's answer, whatever its status, headers and body." },
    },
    errors: [
      "endpoint_not_found",
      "forbidden",
      "payload_too_large",
      "rate_limited",
      "upstream_unreachable",
      "tunnel_offline",
      "tunnel_disconnected",
      "upstream_timeout",
    ],
  }),
  async (c) => {
    const auth = c.var.auth;
    const label = c.req.valid("param").label;
    const endpoint = await getEndpoint(c.env.DB, auth.projectId, label);
    if (!endpoint) {
      throw new ApiError("endpoint_not_found", `This project has no endpoint labelled "${label}".`, { label });
    }
    assertMayCall(label, endpoint.access, auth);
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > endpoint.maxBodyBytes) {
      throw bodyTooLarge(label, endpoint.maxBodyBytes);
    }
    await takeRateLimit(
      c.env,
      { projectId: auth.projectId, label, rateLimit: endpoint.rateLimit },
      callerKey(auth, c.req.header("cf-connecting-ip") ?? null),
    );
    const request = c.req.raw;
    const upstream = await forward(c.env, {
      endpoint,
      projectId: auth.projectId,
      request,
      ...splitPath(new URL(request.url)),
    });
    return new Response(upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: callerResponseHeaders(upstream.headers),
    });
  },
);

import { ApiError } from "../../core/errors";
import type { StoredEndpoint } from "../../data/endpoints/endpoints";
import { forwardToTunnel } from "./forward-to-tunnel";
import { upstreamRequestHeaders } from "./headers";
import { bodyTooLarge, forwardedBody } from "./request-body";
import { timedExchange } from "./timed-exchange";
import { checkUpstreamUrl, upstreamPolicy } from "./upstream-guard";

/**
 * The upstream URL, if this deployment's SSRF guard lets it through now: an endpoint registered
 * with the local-development switch on is unreachable where it is off.
 */
function guardedUpstream(label: string, url: string, env: Env): string {
  try {
    return checkUpstreamUrl(url, upstreamPolicy(env));
  } catch (error) {
    const reason = error instanceof ApiError ? (error.details as { reason?: string }).reason : undefined;
    throw new ApiError(
      "upstream_unreachable",
      `The upstream of endpoint "${label}" is not reachable from this deployment: it is not a public address. Use a tunnel endpoint for a machine on a private network.`,
      { label, reason },
    );
  }
}

/** One proxied call: the endpoint it names, who makes it, and the caller's request. */
export interface ProxyCall {
  endpoint: StoredEndpoint;
  projectId: string;
  request: Request;
  /** The part of the caller's path after `/v1/proxy/<label>`, as sent (percent-encoding kept); `/` at least. */
  rest: string;
  /** `/v1/proxy/<label>` as the caller wrote it. */
  prefix: string;
}

/**
 * Forwards one call to its endpoint's upstream URL or tunnel and returns the response as it
 * streams (see timedExchange): the method, the rest of the path and the query as sent; the body
 * streamed and held to the endpoint's limit; the caller's headers without their credentials and
 * hop-by-hop headers, plus the endpoint's secret headers and `X-Forwarded-*`.
 *
 * @throws {ApiError} `payload_too_large`, `upstream_timeout`, `upstream_unreachable`,
 * `tunnel_offline`; `upstream_unreachable` also for an upstream the SSRF guard refuses now.
 */
export async function forward(env: Env, call: ProxyCall): Promise<Response> {
  const { endpoint, request } = call;
  const incomingUrl = new URL(request.url);
  const bodyCut = new AbortController();
  const body = forwardedBody(request, endpoint.label, endpoint.maxBodyBytes, (reason) => bodyCut.abort(reason));
  const headers = upstreamRequestHeaders(request.headers, {
    clientIp: request.headers.get("cf-connecting-ip"),
    proxyUrl: incomingUrl,
    prefix: call.prefix,
    secretHeaders: endpoint.secretHeaders,
  });
  const target = endpoint.target;
  // Checked again on every call: the switch may be off now where the endpoint was registered with it on.
  const base = target.kind === "url" ? guardedUpstream(endpoint.label, target.url, env) : incomingUrl.origin;
  const url = `${base}${call.rest}${incomingUrl.search}`;
  const init = (signal: AbortSignal): RequestInit => ({
    method: request.method,
    headers,
    body: body.body,
    signal: AbortSignal.any([signal, bodyCut.signal]),
    redirect: "manual", // a redirect is the caller's to follow (it may point at the upstream's own host)
  });
  try {
    return await timedExchange(endpoint.label, endpoint.timeouts, request.signal, (signal) =>
      target.kind === "url"
        ? fetch(url, init(signal))
        : forwardToTunnel(env, { projectId: call.projectId, label: endpoint.label }, new Request(url, init(signal))),
    );
  } catch (error) {
    if (body.overLimit()) throw bodyTooLarge(endpoint.label, endpoint.maxBodyBytes);
    throw error;
  }
}

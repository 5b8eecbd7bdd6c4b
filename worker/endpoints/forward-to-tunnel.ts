// The seam between the endpoint proxy (worker/endpoints/, worker/routes/proxy.ts) and the tunnel
// (durable-objects/tunnel/): the proxy hands a request that is already checked, stripped of the
// caller's credentials and given the endpoint's own headers, and streams back what comes.
import { ApiError, type ErrorBody } from "../../core/errors";
import { requestUrl, TUNNEL_ERROR_HEADER, tunnelStub } from "../../durable-objects/tunnel/tunnel-address";

/** Where a tunnelled request goes: one tunnel object per project and label. */
export interface TunnelTarget {
  projectId: string;
  label: string;
}

/**
 * Sends `request` through the label's tunnel to the CLI's local server and returns its response
 * as it streams (status and headers as soon as the local server answers; the body as it comes,
 * never buffered whole). The local server is asked for `request`'s path and query as they are:
 * the proxy has already taken `/v1/proxy/:label` off. Cancelling the returned body (the caller
 * went away) cancels the request on the local machine.
 *
 * @throws {ApiError} `tunnel_offline` (503) when no CLI is connected; `tunnel_disconnected` (502)
 * when the tunnel drops before the local server answered (after that, the body breaks off);
 * `upstream_unreachable` (502), `upstream_timeout` (504) or `payload_too_large` (413) as the CLI
 * reports them; `rate_limited` (429) when the tunnel carries its maximum of requests at once.
 */
export async function forwardToTunnel(env: Env, target: TunnelTarget, request: Request): Promise<Response> {
  const stub = tunnelStub(env, target.projectId, target.label);
  const url = new URL(request.url);
  const response = await stub.fetch(requestUrl(`${url.pathname}${url.search}`), {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: request.signal,
  });
  if (response.headers.get(TUNNEL_ERROR_HEADER) === null) return response;
  const { error } = (await response.json()) as ErrorBody;
  const details = typeof error.details === "object" && error.details !== null ? error.details : {};
  throw new ApiError(error.code, error.message, { label: target.label, ...details });
}

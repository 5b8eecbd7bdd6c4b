import { type ClientCore, clientFeature, type FlarebaseClient } from "../client.js";
import { callEndpoint, type EndpointCallInit, endpointUrl } from "./call.js";
import { createEndpointsApi, type EndpointsApi } from "./endpoints-api.js";
import { type PollPredicate, type PollUntilOptions, pollUntil } from "./poll-until.js";

/** Calling your own servers by label through the proxy, and (secret key) managing the labels. */
export interface EndpointApi extends EndpointsApi {
  /**
   * Calls an endpoint and returns your server's raw `Response` (any status; streams work).
   *
   * @example
   * const res = await endpoint(client).call("comfyui", {
   *   method: "POST", path: "/prompt",
   *   headers: { "Content-Type": "application/json" },
   *   body: JSON.stringify({ prompt: graph }),
   * });
   * const { prompt_id } = await res.json();
   *
   * @throws {FlarebaseError} the proxy's own errors (`endpoint_not_found`, `forbidden`,
   * `rate_limited`, `payload_too_large`, `upstream_timeout`, `upstream_unreachable`,
   * `tunnel_offline`), `network_error`, `timeout`, `aborted`.
   */
  call(label: string, init?: EndpointCallInit): Promise<Response>;
  /**
   * Calls the same endpoint until `predicate` returns a value other than `undefined`: submit a
   * job, then poll for its result. 5xx, network errors and the proxy's transient errors are
   * retried; other 4xx reject (code `upstream_error` for your server's own); so do `timeoutMs`
   * (`timeout`) and `signal` (`aborted`).
   *
   * @example
   * const filename = await endpoint(client).pollUntil("comfyui", { path: `/history/${promptId}` },
   *   (history) => history[promptId]?.outputs?.["9"]?.images?.[0]?.filename,
   *   { intervalMs: 1000, timeoutMs: 5 * 60_000 });
   */
  pollUntil<T, D = unknown>(
    label: string,
    init: EndpointCallInit,
    predicate: PollPredicate<T, D>,
    options?: PollUntilOptions,
  ): Promise<T>;
  /**
   * The URL of a call (`<server>/v1/proxy/<label><path>`), for code that sends the request itself
   * with the credentials headers: the proxy takes credentials only in headers, so `<img src>` or
   * `EventSource` cannot use it.
   */
  url(label: string, path?: string): string;
}

function createEndpointApi(core: ClientCore): EndpointApi {
  return {
    ...createEndpointsApi(core, "/v1/endpoints"),
    call: (label, init) => callEndpoint(core, label, init),
    pollUntil: (label, init, predicate, options) => pollUntil(core, label, init, predicate, options),
    url: (label, path) => endpointUrl(core.url, label, path),
  };
}

/**
 * Endpoints for `client`, opt-in: an app that never imports `endpoint` ships none of its bytes.
 * Returns the same object for the same client.
 *
 * @example
 * import { createClient, endpoint } from "flarebase";
 * const client = createClient({ url, key: "pk_…" });
 * const res = await endpoint(client).call("vllm", { method: "POST", path: "/v1/chat/completions", body });
 *
 * @throws {TypeError} when `client` was not made by `createClient`.
 */
export function endpoint(client: FlarebaseClient): EndpointApi {
  return clientFeature(client, createEndpointApi);
}

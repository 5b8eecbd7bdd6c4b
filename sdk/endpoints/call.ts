import { FlarebaseError } from "../errors.js";
import { abortedError, callSignal, errorFromResponse, type Transport } from "../http.js";

/** What {@link EndpointApi.call} sends: a `fetch`-like init plus the path on your server. */
export interface EndpointCallInit {
  /** The path (and query) on your server, starting with `/`: `/prompt`, `/history/${id}?max=1`. Default `/`. */
  path?: string | undefined;
  /** Default `GET`. */
  method?: string | undefined;
  /** Forwarded to your server, except credentials and hop-by-hop headers; the SDK adds its own credentials. */
  headers?: HeadersInit | undefined;
  /** Sent as it is: a string, `Blob`, `ArrayBuffer`, typed array, `FormData`, `URLSearchParams` or a `ReadableStream` (streamed). */
  body?: BodyInit | null | undefined;
  /** Cancels the call; the server then cancels the request to your server. */
  signal?: AbortSignal | undefined;
  /** Milliseconds to wait for the response headers; default 0 (no limit: the endpoint's own timeouts apply). */
  timeoutMs?: number | undefined;
}

/** The proxy marks its own errors with this header; any other answer is your server's. */
export const PROXY_ERROR_HEADER = "X-Flarebase-Error";

/** `${base}/v1/proxy/<label><path>`. */
export function endpointUrl(base: string, label: string, path = "/"): string {
  if (path !== "" && !path.startsWith("/")) {
    throw new TypeError(`Flarebase: an endpoint path starts with "/", got "${path}".`);
  }
  return `${base}/v1/proxy/${encodeURIComponent(label)}${path}`;
}

/**
 * Calls an endpoint through the proxy and returns your server's raw `Response`, whatever its
 * status, with its body unread (streams work).
 *
 * @throws {FlarebaseError} for the proxy's own errors (`endpoint_not_found`, `forbidden`,
 * `rate_limited`, `payload_too_large`, `upstream_timeout`, `upstream_unreachable`,
 * `tunnel_offline`, `unauthorized`), `network_error`, `timeout` and `aborted`.
 */
export async function callEndpoint(
  transport: Transport,
  label: string,
  init: EndpointCallInit = {},
): Promise<Response> {
  const method = (init.method ?? "GET").toUpperCase();
  const url = endpointUrl(transport.url, label, init.path ?? "/");
  const callerSignal = init.signal;
  if (callerSignal?.aborted) throw abortedError(method, url, callerSignal.reason);
  const timeoutMs = init.timeoutMs ?? 0;
  const abort = callSignal(callerSignal, timeoutMs);
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(await transport.authHeaders())) {
    if (!headers.has(name)) headers.set(name, value);
  }
  const request: RequestInit & { duplex?: "half" } = { method, headers, signal: abort.signal };
  if (init.body !== undefined && init.body !== null) {
    request.body = init.body;
    if (typeof ReadableStream !== "undefined" && init.body instanceof ReadableStream) request.duplex = "half";
  }
  let response: Response;
  try {
    response = await transport.fetch(url, request);
  } catch (cause) {
    abort.release();
    if (callerSignal?.aborted) throw abortedError(method, url, callerSignal.reason);
    if (abort.timedOut) {
      throw new FlarebaseError({
        status: 0,
        code: "timeout",
        message: `${method} ${url} got no response headers within ${timeoutMs} ms.`,
        url,
        cause,
      });
    }
    throw new FlarebaseError({
      status: 0,
      code: "network_error",
      message: `Could not reach the Flarebase server at ${transport.url} (${method} ${url}). Is it running, and is the URL right? In a browser, also check the console for CORS errors.`,
      url,
      cause,
    });
  } finally {
    abort.stopTimer();
  }
  // The body is still the caller's to read: their signal keeps cancelling it.
  if (response.headers.has(PROXY_ERROR_HEADER)) {
    abort.release();
    throw await errorFromResponse(response, method, url, transport.url);
  }
  return response;
}

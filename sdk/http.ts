import { FlarebaseError } from "./errors.js";

/** HTTP methods the API uses. */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

/** A query parameter value; `null` and `undefined` are left out, arrays repeat the key. */
export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];

/** The subset of `fetch` the SDK calls; the global `fetch`, undici's and most polyfills fit. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Options every SDK call accepts. */
export interface CallOptions {
  /** Cancels the request; the call then rejects with a `FlarebaseError` whose `isAbort` is true. */
  signal?: AbortSignal | undefined;
  /** Overrides the client's `timeoutMs` for this call; `0` waits forever. */
  timeoutMs?: number | undefined;
}

/** Options of `client.request()`. */
export interface RequestOptions extends CallOptions {
  /**
   * The request body. Plain values are sent as JSON; `Blob`, `ArrayBuffer`, typed arrays,
   * `ReadableStream`, `FormData` and `URLSearchParams` are sent as they are (a stream is not
   * buffered).
   */
  body?: unknown;
  query?: Record<string, QueryValue> | undefined;
  /** Extra headers; they override the SDK's own, credentials included. */
  headers?: Record<string, string> | undefined;
}

/**
 * What the request layer needs from a client: where the server is, how to call it and how to
 * authenticate. Modules built on the client (collections, realtime, storage) receive it.
 */
export interface Transport {
  /** The server's base URL, without a trailing slash. */
  readonly url: string;
  readonly fetch: FetchLike;
  /** Default timeout in milliseconds; `0` disables it. */
  readonly timeoutMs: number;
  /** Headers that authenticate a request (resolved per request, so tokens can be refreshed). */
  authHeaders(): Promise<Record<string, string>>;
}

/** Thirty seconds: long enough for a slow mobile network, short enough to notice a dead server. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Validates a `timeoutMs` option; undefined means the default.
 *
 * @throws {TypeError} when it is not a number ≥ 0.
 */
export function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) {
    throw new TypeError(`Flarebase: timeoutMs must be a number of milliseconds ≥ 0 (0 disables it), got ${timeoutMs}.`);
  }
  return timeoutMs;
}

/**
 * Checks and normalizes a base URL (no trailing slash).
 *
 * @throws {TypeError} when `url` is not an absolute http(s) URL.
 */
export function normalizeBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      `Flarebase: "${url}" is not an absolute URL. Pass your server's URL, e.g. "http://127.0.0.1:8787".`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TypeError(`Flarebase: the server URL must start with http:// or https://, got "${url}".`);
  }
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, "");
}

/** The global `fetch`, looked up at call time so that a polyfill installed later is used. */
export function defaultFetch(): FetchLike {
  if (typeof globalThis.fetch !== "function") {
    throw new TypeError("Flarebase: no global fetch in this environment. Pass one: createClient({ url, fetch }).");
  }
  return (input, init) => globalThis.fetch(input, init);
}

/**
 * Builds a path from a template, percent-encoding every interpolated value, so that ids can never
 * add path segments or a query.
 *
 * @example
 * path`/v1/admin/projects/${projectId}/keys/${keyId}`;
 */
export const path = (strings: TemplateStringsArray, ...values: (string | number)[]): string =>
  String.raw({ raw: strings }, ...values.map((value) => encodeURIComponent(value)));

/**
 * Sends a request and returns its parsed JSON body (`undefined` for an empty body or 204).
 *
 * @throws {FlarebaseError} for an error answer, a network failure, a timeout or an abort.
 */
export function request<T>(transport: Transport, method: HttpMethod, path: string, options: RequestOptions = {}) {
  return perform(transport, method, path, options, true, async (response, url) => {
    const text = await response.text();
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new FlarebaseError({
        status: response.status,
        code: "invalid_response",
        message: `${method} ${url} answered ${response.status} with a body that is not JSON. Is ${transport.url} a Flarebase server?`,
        requestId: response.headers.get("X-Request-Id"),
        url,
        cause,
      });
    }
  });
}

/**
 * Sends a request and returns the successful `Response` unread, for streamed downloads. The
 * timeout covers the wait for the response headers; the caller's signal also covers the body.
 *
 * @throws {FlarebaseError} for an error answer, a network failure, a timeout or an abort.
 */
export function requestRaw(transport: Transport, method: HttpMethod, path: string, options: RequestOptions = {}) {
  return perform(transport, method, path, options, false, async (response) => response);
}

async function perform<T>(
  transport: Transport,
  method: HttpMethod,
  path: string,
  options: RequestOptions,
  expectJson: boolean,
  read: (response: Response, url: string) => Promise<T>,
): Promise<T> {
  const url = transport.url + path + queryString(options.query);
  const callerSignal = options.signal;
  if (callerSignal?.aborted) throw abortedError(method, url, callerSignal.reason);

  const timeoutMs = options.timeoutMs ?? transport.timeoutMs;
  const abort = callSignal(callerSignal, timeoutMs);

  try {
    const headers = new Headers(await resolveAuthHeaders(transport, method, url));
    if (expectJson) headers.set("Accept", "application/json");
    const init: RequestInit & { duplex?: "half" } = { method, headers, signal: abort.signal };
    if (options.body !== undefined) {
      if (isRawBody(options.body)) {
        init.body = options.body;
        // A streamed body needs half duplex in fetch implementations that support streaming.
        if (typeof ReadableStream !== "undefined" && options.body instanceof ReadableStream) init.duplex = "half";
      } else {
        headers.set("Content-Type", "application/json");
        init.body = JSON.stringify(options.body);
      }
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    if (callerSignal?.aborted) throw abortedError(method, url, callerSignal.reason);

    const response = await transport.fetch(url, init);
    if (!response.ok) throw await errorFromResponse(response, method, url, transport.url);
    return await read(response, url);
  } catch (error) {
    if (callerSignal?.aborted) throw abortedError(method, url, callerSignal.reason);
    if (abort.timedOut) {
      throw new FlarebaseError({
        status: 0,
        code: "timeout",
        message: `${method} ${url} got no complete response within ${timeoutMs} ms. The server may be overloaded or the network slow; raise timeoutMs if this call is expected to take longer.`,
        url,
        cause: error,
      });
    }
    if (error instanceof FlarebaseError) throw error;
    throw new FlarebaseError({
      status: 0,
      code: "network_error",
      message: `Could not reach the Flarebase server at ${transport.url} (${method} ${url}): ${describe(error)}. Is the server running (npm run dev) and is the URL right? In a browser, also check the console for CORS or mixed-content (http on an https page) errors.`,
      url,
      cause: error,
    });
  } finally {
    abort.stopTimer();
    // A raw response's body is still being read by the caller: keep forwarding their abort.
    if (expectJson) abort.release();
  }
}

/** One signal for a call: it aborts when the caller's signal does or when `timeoutMs` passes, whichever comes first. */
export interface CallSignal {
  signal: AbortSignal;
  /** Whether the timeout, not the caller, aborted the call. */
  readonly timedOut: boolean;
  /** The answer has come: the timeout no longer applies. */
  stopTimer(): void;
  /** Nothing is left to cancel: stop forwarding the caller's abort. */
  release(): void;
}

/** Links the caller's signal and a timeout into one controller, so fetch and the body read stop on either. */
export function callSignal(callerSignal: AbortSignal | undefined, timeoutMs: number): CallSignal {
  const controller = new AbortController();
  let timedOut = false;
  // setTimeout fires at once for delays past 2^31 - 1 ms: treat those (and Infinity) as no timeout.
  const timer =
    timeoutMs > 0 && timeoutMs < 2 ** 31
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
  const forwardAbort = () => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener("abort", forwardAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    stopTimer: () => clearTimeout(timer),
    release: () => callerSignal?.removeEventListener("abort", forwardAbort),
  };
}

async function resolveAuthHeaders(transport: Transport, method: HttpMethod, url: string) {
  try {
    return await transport.authHeaders();
  } catch (cause) {
    throw new FlarebaseError({
      status: 0,
      code: "token_error",
      message: `The token function passed to createClient failed before ${method} ${url}: ${describe(cause)}.`,
      url,
      cause,
    });
  }
}

export function abortedError(method: string, url: string, reason: unknown) {
  return new FlarebaseError({
    status: 0,
    code: "aborted",
    message: `${method} ${url} was aborted by the caller's AbortSignal.`,
    url,
    cause: reason,
  });
}

/** Reads the error envelope `{ error: { code, message, details? } }`, tolerating anything else. */
export async function errorFromResponse(response: Response, method: string, url: string, baseUrl: string) {
  const requestId = response.headers.get("X-Request-Id");
  const text = await response.text().catch(() => "");
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    // Not JSON: reported below as invalid_response.
  }
  const error = (envelope as { error?: unknown } | undefined)?.error as Record<string, unknown> | undefined;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    return new FlarebaseError({
      status: response.status,
      code: error.code,
      message: error.message,
      details: error.details,
      requestId,
      url,
    });
  }
  return new FlarebaseError({
    status: response.status,
    code: "invalid_response",
    message: `${method} ${url} answered ${response.status} ${response.statusText} without a Flarebase error body. Is ${baseUrl} a Flarebase server, and not a proxy or another app?`,
    details: text.slice(0, 200) || undefined,
    requestId,
    url,
  });
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function isRawBody(body: unknown): body is BodyInit {
  return (
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    (typeof Blob !== "undefined" && body instanceof Blob) ||
    (typeof FormData !== "undefined" && body instanceof FormData) ||
    (typeof ReadableStream !== "undefined" && body instanceof ReadableStream)
  );
}

/** An error's message plus its cause's (Node's fetch says only "fetch failed" at the top). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && cause !== error.message ? `${error.message} (${cause})` : error.message;
}

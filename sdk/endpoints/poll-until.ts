import { FlarebaseError } from "../errors.js";
import type { Transport } from "../http.js";
import { callEndpoint, type EndpointCallInit, endpointUrl } from "./call.js";

/** Options of {@link EndpointApi.pollUntil}. */
export interface PollUntilOptions {
  /** Milliseconds between the end of one call and the next. Default 1500. */
  intervalMs?: number | undefined;
  /** Milliseconds in all before rejecting with `timeout`. Default 300000 (5 min). */
  timeoutMs?: number | undefined;
  /** How the body reaches `predicate`: `json` (undefined when it is not JSON; the default), `text`, or `none` (the `Response`). */
  parse?: "json" | "text" | "none" | undefined;
  /** Rejects at once with `aborted` (and cancels the call in flight). */
  signal?: AbortSignal | undefined;
}

/**
 * Decides from one answer: a value ends the polling with it; `undefined` polls again. `data` is
 * the body as `parse` made it: declare its type in the predicate, `(history: History) => …`.
 */
export type PollPredicate<T, D = unknown> = (data: D, response: Response) => T | undefined | Promise<T | undefined>;

const DEFAULT_INTERVAL_MS = 1500;
const DEFAULT_TIMEOUT_MS = 300_000;

/** A proxy error worth another try: the upstream or the tunnel may be back by then. */
const RETRIED_PROXY_CODES = new Set([
  "upstream_timeout",
  "upstream_unreachable",
  "tunnel_offline",
  "tunnel_disconnected",
  "rate_limited",
]);

async function parseBody(response: Response, parse: PollUntilOptions["parse"]): Promise<unknown> {
  if (parse === "none") return response;
  const text = await response.text();
  if (parse === "text") return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Calls the same endpoint until `predicate` returns a value (see docs/endpoints.md#pollUntil):
 * `undefined` waits `intervalMs` and calls again; 5xx answers, network errors and the proxy's
 * transient errors (`upstream_timeout`, `upstream_unreachable`, `tunnel_offline`,
 * `tunnel_disconnected`, and
 * `rate_limited` after its `Retry-After`) are retried; any other 4xx rejects; so do `timeoutMs`
 * and `signal`.
 */
export async function pollUntil<T, D = unknown>(
  transport: Transport,
  label: string,
  init: EndpointCallInit,
  predicate: PollPredicate<T, D>,
  options: PollUntilOptions = {},
): Promise<T> {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = endpointUrl(transport.url, label, init.path ?? "/");
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  const signals = [deadline.signal, ...(options.signal ? [options.signal] : []), ...(init.signal ? [init.signal] : [])];
  const stop = AbortSignal.any(signals);
  const stopped = () => {
    if (deadline.signal.aborted) {
      return new FlarebaseError({
        status: 0,
        code: "timeout",
        message: `pollUntil(${label}, ${init.path ?? "/"}) got no result within ${timeoutMs} ms.`,
        url,
      });
    }
    return new FlarebaseError({ status: 0, code: "aborted", message: `pollUntil(${label}) was aborted.`, url });
  };
  try {
    for (;;) {
      if (stop.aborted) throw stopped();
      let waitMs = intervalMs;
      try {
        const response = await callEndpoint(transport, label, { ...init, signal: stop });
        if (response.status >= 400 && response.status < 500) {
          const text = await response.text().catch(() => "");
          throw new FlarebaseError({
            status: response.status,
            code: "upstream_error",
            message: `pollUntil(${label}, ${init.path ?? "/"}): your server answered ${response.status}.`,
            details: text.slice(0, 500) || undefined,
            url,
          });
        }
        if (response.status < 500) {
          const result = await predicate((await parseBody(response, options.parse)) as D, response);
          if (result !== undefined) return result;
        } else await response.body?.cancel();
      } catch (error) {
        if (stop.aborted) throw stopped();
        if (!(error instanceof FlarebaseError)) throw error;
        const transient = error.code === "network_error" || RETRIED_PROXY_CODES.has(String(error.code));
        if (!transient) throw error;
        const retryAfterMs = (error.details as { retry_after_ms?: number } | undefined)?.retry_after_ms;
        if (error.code === "rate_limited" && retryAfterMs !== undefined) waitMs = Math.max(waitMs, retryAfterMs);
      }
      await wait(waitMs, stop);
    }
  } finally {
    clearTimeout(timer);
  }
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

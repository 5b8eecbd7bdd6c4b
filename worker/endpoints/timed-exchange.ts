import type { EndpointTimeouts } from "../../core/endpoints/wire";
import { ApiError } from "../../core/errors";

/** Sends the upstream request; aborting `signal` must abort it (headers and body). */
export type Send = (signal: AbortSignal) => Promise<Response>;

/** Why an exchange was cut short before its end. */
const CALLER_GONE = "the caller went away";

function timedOut(label: string, timeout: "first_byte" | "total", ms: number) {
  const what = timeout === "first_byte" ? "sent no response headers" : "did not finish";
  return new ApiError("upstream_timeout", `The upstream of endpoint "${label}" ${what} within ${ms} ms.`, {
    label,
    timeout,
    timeout_ms: ms,
  });
}

/**
 * Runs one upstream exchange under an endpoint's timeouts and returns the upstream's response as
 * it streams: its body is handed on chunk by chunk as the upstream writes it (an event stream's
 * first event reaches the caller while the upstream is still writing).
 *
 * - Before the response headers: the first-byte and total timeouts end the exchange with
 *   `upstream_timeout`; the caller going away (`callerSignal`) aborts the upstream request.
 * - After them: the idle timeout (waiting for the next chunk, never for a slow reader) and the
 *   total timeout abort the upstream and break the body off (the status is sent already); the
 *   caller cancelling the body cancels the upstream request.
 *
 * @throws {ApiError} `upstream_timeout`; `upstream_unreachable` when the request fails (refused
 * connection, DNS, TLS, reset); an `ApiError` that `send` throws, as it is.
 */
export async function timedExchange(
  label: string,
  timeouts: EndpointTimeouts,
  callerSignal: AbortSignal,
  send: Send,
): Promise<Response> {
  const upstream = new AbortController();
  // What a timeout does: before the headers, abort the request; once the body streams, break it off.
  let fail = (reason: unknown) => upstream.abort(reason);
  const onCallerGone = () => upstream.abort(CALLER_GONE);
  callerSignal.addEventListener("abort", onCallerGone, { once: true });
  const totalTimer = setTimeout(() => fail(timedOut(label, "total", timeouts.total_ms)), timeouts.total_ms);
  const firstByteTimer = setTimeout(
    () => fail(timedOut(label, "first_byte", timeouts.first_byte_ms)),
    timeouts.first_byte_ms,
  );
  const settle = () => {
    clearTimeout(totalTimer);
    callerSignal.removeEventListener("abort", onCallerGone);
  };

  let response: Response;
  try {
    // Raced with the signal too: a send that does not watch it still ends on time.
    response = await Promise.race([send(upstream.signal), aborted(upstream.signal)]);
  } catch (error) {
    settle();
    const reason: unknown = upstream.signal.aborted ? upstream.signal.reason : error;
    if (reason instanceof ApiError) throw reason;
    if (reason === CALLER_GONE) throw new ApiError("upstream_unreachable", "The call was cancelled.", { label });
    throw new ApiError("upstream_unreachable", `The upstream of endpoint "${label}" could not be reached.`, {
      label,
    });
  } finally {
    clearTimeout(firstByteTimer);
  }
  if (!response.body) {
    settle();
    return response;
  }
  const body = new TimedBody(response.body, timeouts.idle_ms, (reason) => upstream.abort(reason), settle);
  fail = (reason) => body.breakOff(reason);
  return new Response(body.readable, response);
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * The upstream body, pulled one chunk at a time as the caller reads (so nothing piles up here),
 * with the idle timer running only while waiting for the upstream, never for a slow reader.
 */
class TimedBody {
  readonly readable: ReadableStream<Uint8Array>;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #ended = false;

  constructor(
    body: ReadableStream<Uint8Array>,
    idleMs: number,
    private readonly abortUpstream: (reason: unknown) => void,
    private readonly settle: () => void,
  ) {
    this.#reader = body.getReader();
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: async (controller) => {
          const idle = setTimeout(() => this.breakOff(new Error(`no data from the upstream for ${idleMs} ms`)), idleMs);
          try {
            const { done, value } = await this.#reader.read();
            if (this.#ended) return;
            if (done) {
              this.#end();
              controller.close();
            } else controller.enqueue(value);
          } catch (error) {
            if (!this.#ended) this.breakOff(error);
          } finally {
            clearTimeout(idle);
          }
        },
        cancel: async (reason) => {
          this.#end();
          this.abortUpstream(CALLER_GONE);
          await this.#reader.cancel(reason).catch(() => {});
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** Ends the body with an error (the caller sees the connection break, never a clean end) and the upstream request. */
  breakOff(reason: unknown) {
    if (this.#ended) return;
    this.#end();
    this.#controller.error(reason);
    this.abortUpstream(reason);
    this.#reader.cancel(reason).catch(() => {});
  }

  #end() {
    this.#ended = true;
    this.settle();
  }
}

import { ApiError } from "../../core/errors";
import {
  MAX_DATA_BYTES,
  type TunnelFrame,
  type TunnelRequestHead,
  type TunnelReset,
  type TunnelResponseHead,
} from "../../core/protocol/tunnel";
import { ReceiveWindow, SendWindow } from "../../core/protocol/tunnel-window";

/** How a stream ended, as the request log records it. */
export type StreamOutcome = "completed" | "cancelled" | "reset" | "disconnected";

/** What the request log keeps of a finished stream (no bodies, no headers). */
export interface StreamSummary {
  method: string;
  path: string;
  status: number | null;
  outcome: StreamOutcome;
  bytesIn: number;
  bytesOut: number;
  startedAt: number;
  durationMs: number;
}

/** How a stream talks to the rest of the object. */
export interface StreamHost {
  /** Sends a frame to the CLI; false when the socket is gone. */
  send(frame: TunnelFrame): boolean;
  /** The stream is over (runs once): forget it and log it. */
  finished(stream: TunnelStream, summary: StreamSummary): void;
}

/**
 * One proxied request in flight through the tunnel: the request body goes out to the CLI within
 * the window the CLI grants; the response head settles {@link response}; the response body comes
 * in within the window this side grants, which grows only as the caller reads {@link body}. So
 * neither a slow caller nor a slow local server makes the object buffer more than one window.
 */
export class TunnelStream {
  /** The response's status and headers, or the typed error the request ends with. */
  readonly response: Promise<TunnelResponseHead>;
  /** The response body, fed by `data` frames as the caller reads it. */
  readonly body: ReadableStream<Uint8Array>;

  readonly #host: StreamHost;
  readonly #startedAt = Date.now();
  readonly #sendWindow = new SendWindow();
  readonly #receiveWindow = new ReceiveWindow();
  #settleHead!: { resolve: (head: TunnelResponseHead) => void; reject: (error: ApiError) => void };
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #queue: Uint8Array[] = [];
  #wantsMore = false;
  #discard = false;
  #status: number | null = null;
  #ended = false;
  #over = false;
  #bytesIn = 0;
  #bytesOut = 0;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    readonly head: TunnelRequestHead,
    host: StreamHost,
  ) {
    this.#host = host;
    this.response = new Promise((resolve, reject) => {
      this.#settleHead = { resolve, reject };
    });
    // A rejection nobody awaited (a stream failed before the request got to wait on it) is expected.
    this.response.catch(() => {});
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          this.#wantsMore = true;
          this.#deliver();
        },
        cancel: () => this.#cancel(),
      },
      // Nothing is pulled ahead of the reader: the window, not this stream, does the buffering.
      { highWaterMark: 0 },
    );
  }

  /**
   * Sends the request head, then the request body piece by piece as the CLI's window allows, then
   * `end`. Resolves when the body is out, or as soon as the stream is over (reset, cancelled).
   */
  async sendRequest(body: ReadableStream<Uint8Array> | null): Promise<void> {
    if (!this.#host.send({ type: "request", stream: this.id, head: this.head })) return;
    if (body) {
      const reader = body.getReader({ mode: "byob" });
      try {
        for (;;) {
          // Read straight into a frame-sized buffer: whatever has arrived fills it, so a body that
          // comes in faster than it goes out travels in full frames instead of the stream's 4 KiB
          // chunks. Never more than the window allows, so the bytes read are the bytes sent.
          const most = await this.#sendWindow.take(MAX_DATA_BYTES);
          const { done, value } = await reader.read(new Uint8Array(most));
          if (done || value === undefined) {
            this.#sendWindow.grant(most);
            break;
          }
          if (value.byteLength < most) this.#sendWindow.grant(most - value.byteLength);
          if (this.#over || !this.#host.send({ type: "data", stream: this.id, bytes: value })) return;
          this.#bytesIn += value.byteLength;
        }
      } catch {
        // The stream is over (its window failed) or the caller's body broke: stop reading it.
        await reader.cancel().catch(() => {});
        if (!this.#over) this.reset("cancelled", "The request body could not be read.", tunnelDropped());
        return;
      }
    }
    if (!this.#over) this.#host.send({ type: "end", stream: this.id });
  }

  /** A frame the CLI sent on this stream. */
  onFrame(frame: TunnelFrame): void {
    if (this.#over) return;
    switch (frame.type) {
      case "response":
        if (this.#status !== null) {
          this.#violation("A second response head.");
          return;
        }
        this.#status = frame.head.status;
        this.#settleHead.resolve(frame.head);
        return;
      case "data":
        if (this.#status === null || this.#ended) {
          this.#violation("Body bytes outside a response.");
          return;
        }
        if (!this.#receiveWindow.receive(frame.bytes.byteLength)) {
          this.#violation("Bytes beyond the window.");
          return;
        }
        this.#bytesOut += frame.bytes.byteLength;
        this.#queue.push(frame.bytes);
        this.#deliver();
        return;
      case "end":
        if (this.#status === null || this.#ended) {
          this.#violation("An end outside a response.");
          return;
        }
        this.#ended = true;
        this.#deliver();
        return;
      case "window":
        this.#sendWindow.grant(frame.bytes);
        return;
      case "reset":
        this.#remoteReset(frame.reset);
        return;
      case "request": {
        this.#violation("The CLI does not open streams.");
        return;
      }
    }
  }

  /**
   * The response has no body to hand on (a HEAD request, a 204 or 304): whatever the CLI still
   * sends is dropped, and the stream is over at its `end`.
   */
  discardBody(): void {
    this.#discard = true;
    this.#wantsMore = true;
    this.#deliver();
  }

  /** Abandons the stream from this side: tells the CLI, ends the request with `error`. */
  reset(reason: TunnelReset["reason"], message: string, error: ApiError): void {
    if (this.#over) return;
    this.#host.send({ type: "reset", stream: this.id, reset: { reason, message } });
    this.#fail(error, reason === "cancelled" ? "cancelled" : "reset");
  }

  /** The tunnel's socket is gone: the request ends with a typed 502 (or a broken body). */
  disconnected(): void {
    this.#fail(tunnelDropped(), "disconnected");
  }

  /** Hands queued pieces to the reader, one per pull, and grants the CLI the room they leave. */
  #deliver(): void {
    while (!this.#over && this.#wantsMore) {
      const next = this.#queue.shift();
      if (next === undefined) {
        if (this.#ended) {
          this.#controller.close();
          this.#finish("completed");
        }
        return;
      }
      if (!this.#discard) {
        this.#controller.enqueue(next);
        this.#wantsMore = false;
      }
      const grant = this.#receiveWindow.handedOn(next.byteLength);
      if (grant > 0) this.#host.send({ type: "window", stream: this.id, bytes: grant });
    }
  }

  #cancel(): void {
    if (this.#over) return;
    this.#host.send({
      type: "reset",
      stream: this.id,
      reset: { reason: "cancelled", message: "The caller went away." },
    });
    this.#sendWindow.fail(new Error("cancelled"));
    this.#finish("cancelled");
  }

  #remoteReset(reset: TunnelReset): void {
    this.#fail(errorOfReset(reset), reset.reason === "cancelled" ? "cancelled" : "reset");
  }

  #violation(message: string): void {
    this.reset(
      "protocol_error",
      message,
      new ApiError("tunnel_disconnected", `The tunnel broke the protocol: ${message}`),
    );
  }

  #fail(error: ApiError, outcome: StreamOutcome): void {
    if (this.#over) return;
    this.#sendWindow.fail(error);
    if (this.#status === null) this.#settleHead.reject(error);
    // After the head the status is sent already: the body breaks, so the caller sees it is cut short.
    else this.#controller.error(error);
    this.#finish(outcome);
  }

  #finish(outcome: StreamOutcome): void {
    if (this.#over) return;
    this.#over = true;
    this.#queue = [];
    this.#host.finished(this, {
      method: this.head.method,
      path: this.head.path.split("?")[0] ?? "/",
      status: this.#status,
      outcome,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      startedAt: this.#startedAt,
      durationMs: Date.now() - this.#startedAt,
    });
  }
}

/** The error a request ends with when the tunnel goes away under it. */
export function tunnelDropped(): ApiError {
  return new ApiError(
    "tunnel_disconnected",
    "The tunnel disconnected while the request was in flight; the local server may or may not have handled it.",
  );
}

/** The typed error of a stream the CLI reset before answering. */
function errorOfReset({ reason, message }: TunnelReset): ApiError {
  switch (reason) {
    case "upstream_unreachable":
      return new ApiError("upstream_unreachable", `The tunnel's local server could not be reached: ${message}`);
    case "upstream_timeout":
      return new ApiError("upstream_timeout", `The tunnel's local server did not answer in time: ${message}`);
    case "body_too_large":
      return new ApiError("payload_too_large", `The tunnel refused the request body: ${message}`);
    default:
      return new ApiError("tunnel_disconnected", `The tunnel abandoned the request (${reason}): ${message}`);
  }
}

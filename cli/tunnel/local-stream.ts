// One request through the tunnel, on the CLI's side: a request to the local server, its body fed
// by the object's `data` frames as the local server takes them, and the local server's answer sent
// back within the window the object grants.
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import {
  MAX_DATA_BYTES,
  type TunnelFrame,
  type TunnelRequestHead,
  type TunnelReset,
  type TunnelResponseHead,
} from "../../core/protocol/tunnel.js";
import { ReceiveWindow, SendWindow } from "../../core/protocol/tunnel-window.js";

/** Where the local server is and what it may take. */
export interface LocalTarget {
  host: string;
  port: number;
  /** Until the local server's status and headers arrive; 0 for no limit. */
  timeoutMs: number;
  /** The largest request body passed on; a bigger one is refused with 413. */
  maxBodyBytes: number;
}

/** How a request ended, for the line the CLI prints. */
export interface StreamReport {
  method: string;
  path: string;
  status: number | null;
  /** `null` when it went through; otherwise what cut it short. */
  problem: string | null;
  durationMs: number;
}

/**
 * Headers that belong to one hop, not to the message: never passed on in either direction. The
 * local server's framing (`transfer-encoding`) is undone by Node and redone by the runtime.
 */
const HOP_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

export class LocalStream {
  readonly #sendWindow = new SendWindow();
  readonly #receiveWindow = new ReceiveWindow();
  readonly #startedAt = performance.now();
  #request: ClientRequest | null = null;
  #status: number | null = null;
  #bodyBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #requestEnded = false;
  #responseEnded = false;
  #over = false;

  constructor(
    readonly id: number,
    readonly head: TunnelRequestHead,
    private readonly target: LocalTarget,
    private readonly send: (frame: TunnelFrame) => boolean,
    private readonly done: (stream: LocalStream, report: StreamReport) => void,
  ) {}

  /** Starts the local request (its body follows as `data` frames). */
  start(): void {
    const headers: [string, string][] = this.head.headers.filter(([name]) => !HOP_HEADERS.has(name));
    // Dev servers check Host (Vite's allowedHosts): the local server is asked for itself.
    const request = httpRequest({
      host: this.target.host,
      port: this.target.port,
      method: this.head.method,
      path: this.head.path,
      headers: [...headers.flat(), "host", `${this.target.host}:${this.target.port}`],
    });
    this.#request = request;
    if (this.target.timeoutMs > 0) {
      this.#timer = setTimeout(
        () => this.#reset("upstream_timeout", `no answer within ${this.target.timeoutMs / 1000} s`),
        this.target.timeoutMs,
      );
    }
    request.on("response", (response) => {
      this.#clearTimer();
      void this.#relay(response);
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (this.#over) return;
      if (this.#status === null) this.#reset("upstream_unreachable", error.code ?? error.message);
      else this.#reset("upstream_failed", error.code ?? error.message);
    });
  }

  /** A frame the object sent on this stream. */
  onFrame(frame: TunnelFrame): void {
    if (this.#over) return;
    switch (frame.type) {
      case "data":
        this.#requestBody(frame.bytes);
        return;
      case "end":
        this.#requestEnded = true;
        this.#request?.end();
        if (this.#responseEnded) this.#finish(null);
        return;
      case "window":
        this.#sendWindow.grant(frame.bytes);
        return;
      case "reset":
        // The caller went away (or the object gave up): the local request is abandoned too.
        this.#finish(frame.reset.reason === "cancelled" ? "cancelled by the caller" : frame.reset.message);
        return;
      default:
        this.#reset("protocol_error", `unexpected ${frame.type} frame`);
    }
  }

  /** The tunnel's socket is gone: the local request is abandoned. */
  abandon(): void {
    this.#finish("tunnel disconnected");
  }

  #requestBody(bytes: Uint8Array): void {
    if (!this.#receiveWindow.receive(bytes.byteLength)) {
      this.#reset("protocol_error", "request body beyond the window");
      return;
    }
    this.#bodyBytes += bytes.byteLength;
    if (this.#bodyBytes > this.target.maxBodyBytes) {
      this.#reset("body_too_large", `the request body is over ${this.target.maxBodyBytes} bytes (--max-body)`);
      return;
    }
    if (this.#responseEnded) {
      // The local server answered before it read the whole body: the rest is dropped, but the
      // object still sends it (it finishes the request body before it answers), so room is granted.
      this.#granted(bytes.byteLength);
      return;
    }
    // Room is granted back once the local server has taken the bytes (they left this process).
    this.#request?.write(bytes, () => {
      if (!this.#over) this.#granted(bytes.byteLength);
    });
  }

  #granted(bytes: number): void {
    const grant = this.#receiveWindow.handedOn(bytes);
    if (grant > 0) this.send({ type: "window", stream: this.id, bytes: grant });
  }

  async #relay(response: IncomingMessage): Promise<void> {
    if (this.#over) {
      response.destroy();
      return;
    }
    const head: TunnelResponseHead = { status: response.statusCode ?? 502, headers: responseHeaders(response) };
    this.#status = head.status;
    if (!this.send({ type: "response", stream: this.id, head })) return this.abandon();
    try {
      // Reading pauses while the window is empty, so a slow caller slows the local server down
      // instead of piling its output up here.
      for await (const chunk of response as AsyncIterable<Buffer>) {
        for (let offset = 0; offset < chunk.byteLength; ) {
          const bytes = await this.#sendWindow.take(Math.min(MAX_DATA_BYTES, chunk.byteLength - offset));
          if (this.#over) return;
          if (!this.send({ type: "data", stream: this.id, bytes: chunk.subarray(offset, offset + bytes) })) {
            return this.abandon();
          }
          offset += bytes;
        }
      }
    } catch (error) {
      if (!this.#over)
        this.#reset("upstream_failed", (error as NodeJS.ErrnoException).code ?? "the response broke off");
      return;
    }
    if (this.#over) return;
    this.send({ type: "end", stream: this.id });
    this.#responseEnded = true;
    if (this.#requestEnded) this.#finish(null);
  }

  #reset(reason: TunnelReset["reason"], message: string): void {
    if (this.#over) return;
    this.send({ type: "reset", stream: this.id, reset: { reason, message } });
    this.#finish(`${reason.replaceAll("_", " ")}: ${message}`);
  }

  #finish(problem: string | null): void {
    if (this.#over) return;
    this.#over = true;
    this.#clearTimer();
    this.#sendWindow.fail(new Error(problem ?? "done"));
    if (problem !== null) this.#request?.destroy();
    this.done(this, {
      method: this.head.method,
      path: this.head.path,
      status: this.#status,
      problem,
      durationMs: performance.now() - this.#startedAt,
    });
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/** The local server's headers in order (repeated ones, like Set-Cookie, kept apart). */
function responseHeaders(response: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!HOP_HEADERS.has(name)) pairs.push([name, raw[i + 1] as string]);
  }
  return pairs;
}

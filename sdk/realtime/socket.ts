import type { ChannelServerFrame, ConnectionLimits, ErrorFrame, HelloFrame } from "../../core/protocol/channel.js";
import {
  HEARTBEAT_PING,
  SUBPROTOCOL,
  SUBPROTOCOL_KEY_PREFIX,
  SUBPROTOCOL_TOKEN_PREFIX,
} from "../../core/protocol/envelope.js";
import type { Credentials, WebSocketConstructor } from "../client.js";
import { type ClientErrorCode, FlarebaseError, type RealtimeClientErrorCode, type ServerErrorCode } from "../errors.js";
import { CLOSE, DEFAULT_RECONNECT, endingCloseCode, type ReconnectOptions, reactionTo, retryDelay } from "./policy.js";

/**
 * A socket's life: `idle` (not started), `connecting`, `connected` (hello received),
 * `disconnected` (waiting to retry), `failed` (stopped: retrying cannot help, see `error`) and
 * `closed` (by the app; final).
 */
export type SocketState = "idle" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

/** A state change of one channel's socket. */
export interface SocketStateChange {
  state: SocketState;
  previous: SocketState;
  /** Why it left `connected` or `connecting`: the server's error frame or the close; null otherwise. */
  error: FlarebaseError | null;
  /** For `disconnected`: milliseconds until the next attempt. */
  retryInMs: number | null;
}

/** What a realtime socket needs from the client: where the server is and who is connecting. */
export interface RealtimeCore {
  readonly url: string;
  readonly WebSocket: WebSocketConstructor | undefined;
  credentials(): Promise<Credentials>;
}

/** What every realtime object's server frames have: a `type`, and the `ref` of the request a reply answers. */
export interface BaseServerFrame {
  type: string;
  ref?: number | null | undefined;
}

/**
 * The first frame every realtime object (channel, room, collection watcher) sends: who the
 * connection is and the limits it works under. Each object adds its own fields.
 */
export interface BaseHello {
  type: "hello";
  connection_id: string;
  client_id: string;
  user_id: string | null;
  limits: ConnectionLimits;
}

/** Server frames that answer a request (they carry its `ref`). */
export type ReplyFrame<Frame extends BaseServerFrame = ChannelServerFrame> = Extract<
  Frame,
  { ref: number | null | undefined }
>;

/** What the socket tells its owner (a channel, a room, a watcher). */
export interface SocketHandlers<
  Frame extends BaseServerFrame = ChannelServerFrame,
  Hello extends BaseHello = HelloFrame,
> {
  /** The hello arrived (before any replayed frame and before queued requests are resent). */
  onHello(hello: Hello, reconnect: boolean): void;
  /** Any frame that is neither the hello nor a reply to a request. */
  onFrame(frame: Frame): void;
  onState(change: SocketStateChange): void;
}

interface Pending<Frame extends BaseServerFrame> {
  ref: number;
  frame: Record<string, unknown>;
  resolve(reply: ReplyFrame<Frame>): void;
  reject(error: FlarebaseError): void;
}

/**
 * One reconnecting WebSocket to one realtime object (any of them: `path` is its URL path,
 * `params` its query, recomputed before every attempt so it can carry a resume point). It owns the
 * connection policy (backoff with jitter, minimum uptime before the retry count resets, connect
 * timeout, heartbeat with a deadline) and request/reply correlation: requests wait in an outbox
 * while disconnected, go out in order within the server's announced rate, and are resent after a
 * reconnect until answered. Requests must be idempotent (publishes carry their id), so a resend is
 * always safe. `Frame` and `Hello` are the object's server frames and hello (a channel's by default).
 *
 * @example
 * const socket = new RealtimeSocket<WatcherServerFrame, WatcherHelloFrame>(core, "/v1/realtime/collections/posts",
 *   () => ({ since_seq: lastSeq }), { onHello, onFrame, onState });
 * socket.open();
 * const reply = await socket.request({ type: "snapshot" });
 */
export class RealtimeSocket<Frame extends BaseServerFrame = ChannelServerFrame, Hello extends BaseHello = HelloFrame> {
  #state: SocketState = "idle";
  #ws: WebSocket | null = null;
  #hello: Hello | null = null;
  #everConnected = false;
  #retries = 0;
  #authFailures = 0;
  #lastError: FlarebaseError | null = null;
  #generation = 0;
  #nextRef = 1;
  /** Unanswered requests by ref; `#outbox` holds those not on the current socket yet, in ref order. */
  #pending = new Map<number, Pending<Frame>>();
  #outbox: Pending<Frame>[] = [];
  #tokens = 0;
  #tokensAt = 0;
  #ratePerMs = 0;
  #burst = 0;
  #timers = {
    retry: undefined as ReturnType<typeof setTimeout> | undefined,
    connect: undefined as ReturnType<typeof setTimeout> | undefined,
    uptime: undefined as ReturnType<typeof setTimeout> | undefined,
    heartbeat: undefined as ReturnType<typeof setInterval> | undefined,
    deadline: undefined as ReturnType<typeof setTimeout> | undefined,
    pump: undefined as ReturnType<typeof setTimeout> | undefined,
  };
  readonly #options: Required<ReconnectOptions>;

  constructor(
    private readonly core: RealtimeCore,
    private readonly path: string,
    private readonly params: () => Record<string, string | number | null | undefined>,
    private readonly handlers: SocketHandlers<Frame, Hello>,
    options: ReconnectOptions = {},
    private readonly maxPending = 1000,
  ) {
    this.#options = { ...DEFAULT_RECONNECT, ...options };
  }

  get state(): SocketState {
    return this.#state;
  }

  /** The last hello (who this connection is, the channel's seq and limits); null before the first. */
  get hello(): Hello | null {
    return this.#hello;
  }

  /** Starts connecting, unless already started, failed or closed. */
  open(): void {
    if (this.#state === "idle") void this.#connect();
  }

  /**
   * Drops the current socket and connects again now (for example with new credentials). A
   * `failed` socket is revived; a closed one stays closed.
   */
  reconnect(): void {
    if (this.#state === "closed" || this.#state === "idle") return;
    this.#retries = 0;
    this.#authFailures = 0;
    clearTimeout(this.#timers.retry);
    this.#discard();
    void this.#connect();
  }

  /** Closes for good: pending requests are rejected, no reconnect follows. */
  close(): void {
    if (this.#state === "closed") return;
    this.#generation++;
    const ws = this.#ws;
    this.#stopTimers();
    clearTimeout(this.#timers.retry);
    this.#ws = null;
    if (ws) {
      detach(ws);
      try {
        ws.close(CLOSE.normal, "client closed");
      } catch {
        // Never opened.
      }
    }
    this.#rejectAll(this.#error("closed", "The realtime connection was closed by the app."));
    this.#setState("closed", null, null);
  }

  /**
   * Sends a request (a frame without `v` and `ref`) and resolves with its reply. While
   * disconnected it waits in the outbox; it is resent after every reconnect until answered.
   *
   * @throws {FlarebaseError} (rejects) `queue_full` beyond `maxPending` unanswered requests,
   * `closed` once the socket is closed, or the connection's error once it has failed.
   */
  request(frame: Record<string, unknown>): Promise<ReplyFrame<Frame>> {
    if (this.#state === "closed") return Promise.reject(this.#error("closed", "The realtime connection is closed."));
    if (this.#state === "failed") {
      return Promise.reject(this.#lastError ?? this.#error("failed", "The realtime connection failed."));
    }
    if (this.#pending.size >= this.maxPending) {
      return Promise.reject(
        this.#error("queue_full", `More than ${this.maxPending} requests are waiting for the server; slow down.`),
      );
    }
    this.open();
    return new Promise((resolve, reject) => {
      const pending: Pending<Frame> = { ref: this.#nextRef++, frame, resolve, reject };
      this.#pending.set(pending.ref, pending);
      this.#outbox.push(pending);
      this.#pump();
    });
  }

  // ===== Connecting

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    this.#setState("connecting", null, null);
    const WebSocketClass = this.core.WebSocket;
    if (!WebSocketClass) {
      this.#fail(
        this.#error(
          "not_supported",
          "No WebSocket in this environment. Pass one: createClient({ url, WebSocket }) (for example from the ws package).",
        ),
      );
      return;
    }
    let credentials: Credentials;
    try {
      credentials = await this.core.credentials();
    } catch (cause) {
      if (generation !== this.#generation) return;
      this.#lastError = this.#error("token_error", `The token function failed: ${String(cause)}`, cause);
      this.#scheduleRetry();
      return;
    }
    if (generation !== this.#generation) return;
    const protocols = [SUBPROTOCOL];
    if (credentials.token) protocols.push(`${SUBPROTOCOL_TOKEN_PREFIX}${credentials.token}`);
    else if (credentials.key) protocols.push(`${SUBPROTOCOL_KEY_PREFIX}${credentials.key}`);

    let ws: WebSocket;
    try {
      ws = new WebSocketClass(this.#url(), protocols);
    } catch (cause) {
      this.#lastError = this.#error("network_error", `Could not open a WebSocket to ${this.#safeUrl()}.`, cause);
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    this.#lastError = null;
    ws.onmessage = (event: MessageEvent) => this.#onMessage(ws, event.data);
    ws.onclose = (event: CloseEvent) => this.#onClose(ws, event.code, event.reason);
    ws.onerror = () => {
      // A close event always follows; it carries what we can know.
    };
    this.#timers.connect = setTimeout(() => {
      this.#lastError = this.#error(
        "timeout",
        `No answer from ${this.#safeUrl()} within ${this.#options.connectTimeoutMs} ms.`,
      );
      this.#abandon(ws);
    }, this.#options.connectTimeoutMs);
  }

  #onMessage(ws: WebSocket, data: unknown): void {
    if (ws !== this.#ws) return;
    // Anything from the server proves the connection alive.
    clearTimeout(this.#timers.deadline);
    this.#timers.deadline = undefined;
    if (typeof data !== "string") return;
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return; // Not ours to crash on; the server only sends JSON.
    }
    if (frame.type === "hello") {
      this.#onHello(frame as unknown as Hello);
      return;
    }
    if (typeof frame.ref === "number" && this.#reply(frame as ReplyFrame<Frame>)) return;
    if (frame.type === "error" && frame.ref === null) {
      // A connection-level error: the close that usually follows will carry it.
      const error = frame as unknown as ErrorFrame;
      this.#lastError = this.#error(error.code, error.message, undefined, error.details);
      const closeCode = endingCloseCode(error.code);
      if (closeCode !== null) {
        this.handlers.onFrame(frame);
        this.#abandon(ws, closeCode, error.code);
        return;
      }
    }
    this.handlers.onFrame(frame);
  }

  #onHello(hello: Hello): void {
    clearTimeout(this.#timers.connect);
    const reconnect = this.#everConnected;
    this.#everConnected = true;
    this.#hello = hello;
    this.#lastError = null;
    // Pace requests a little under the server's bucket so they are never refused for rate.
    this.#ratePerMs = (hello.limits.rate_per_second * 0.95) / 1000;
    this.#burst = Math.max(1, Math.floor(hello.limits.rate_burst * 0.9));
    this.#tokens = this.#burst;
    this.#tokensAt = Date.now();
    this.#timers.uptime = setTimeout(() => {
      this.#retries = 0;
      this.#authFailures = 0;
    }, this.#options.minUptimeMs);
    const interval = Math.min(this.#options.heartbeatMs, hello.limits.heartbeat_ms);
    this.#timers.heartbeat = setInterval(() => this.#heartbeat(), interval);
    this.handlers.onHello(hello, reconnect);
    this.#setState("connected", null, null);
    this.#pump();
  }

  #heartbeat(): void {
    const ws = this.#ws;
    if (!ws || this.#state !== "connected") return;
    try {
      ws.send(HEARTBEAT_PING);
    } catch {
      return;
    }
    // The deadline runs from the first unanswered ping: later pings must not push it back, or a
    // heartbeat shorter than the timeout would keep a dead socket alive forever.
    if (this.#timers.deadline !== undefined) return;
    this.#timers.deadline = setTimeout(() => {
      this.#timers.deadline = undefined;
      this.#lastError = this.#error(
        "timeout",
        `The server did not answer a heartbeat within ${this.#options.heartbeatTimeoutMs} ms.`,
      );
      this.#abandon(ws);
    }, this.#options.heartbeatTimeoutMs);
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    this.#ws = null;
    this.#stopTimers();
    this.#requeueInflight();
    if (this.#state === "closed") return;
    const error =
      this.#lastError ??
      (code === CLOSE.normal ? null : this.#error("connection_lost", `The connection closed (${code} ${reason}).`));
    this.#lastError = error;
    let reaction = reactionTo(code, true);
    if (code === CLOSE.unauthorized || code === CLOSE.token_expired) {
      // A token function may produce a fresh token on the next attempt; a fixed credential fails
      // the same way twice, and then there is no point in going on.
      if (++this.#authFailures >= 2) reaction = "stop";
    }
    if (reaction === "stop") this.#fail(error ?? this.#error("connection_lost", `Closed with ${code}.`));
    else this.#scheduleRetry();
  }

  /**
   * Gives up on a socket (it stopped answering, or the server said it is ending it): detach it and
   * go on as if it had closed with `code`.
   */
  #abandon(ws: WebSocket, code = 1006, reason = "unresponsive"): void {
    if (ws !== this.#ws) return;
    detach(ws);
    try {
      ws.close(CLOSE.normal, reason);
    } catch {
      // Already closing.
    }
    this.#onClose(ws, code, reason);
  }

  /** Drops the current socket without a state change (a reconnect follows at once). */
  #discard(): void {
    const ws = this.#ws;
    this.#generation++;
    this.#ws = null;
    this.#stopTimers();
    this.#requeueInflight();
    if (ws) {
      detach(ws);
      try {
        ws.close(CLOSE.normal, "reconnecting");
      } catch {
        // Never opened.
      }
    }
  }

  #scheduleRetry(): void {
    if (this.#retries >= this.#options.maxRetries) {
      this.#fail(this.#lastError ?? this.#error("connection_lost", "Gave up reconnecting."));
      return;
    }
    const delay = retryDelay(this.#retries++, this.#options);
    this.#setState("disconnected", this.#lastError, delay);
    this.#timers.retry = setTimeout(() => void this.#connect(), delay);
  }

  #fail(error: FlarebaseError): void {
    this.#lastError = error;
    this.#rejectAll(error);
    this.#setState("failed", error, null);
  }

  // ===== Requests

  /** Sends what the outbox holds, in order, as far as the rate budget allows. */
  #pump(): void {
    const ws = this.#ws;
    if (!ws || this.#state !== "connected" || this.#timers.pump !== undefined) return;
    const now = Date.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#tokensAt) * this.#ratePerMs);
    this.#tokensAt = now;
    while (this.#outbox.length > 0 && this.#tokens >= 1) {
      const pending = this.#outbox.shift() as Pending<Frame>;
      this.#tokens -= 1;
      try {
        // `ref` first: a server that refuses a frame as too large reads it from the start of the frame.
        ws.send(JSON.stringify({ v: 1, ref: pending.ref, ...pending.frame }));
      } catch {
        this.#outbox.unshift(pending);
        return;
      }
    }
    if (this.#outbox.length > 0) {
      const wait = Math.ceil((1 - this.#tokens) / this.#ratePerMs);
      this.#timers.pump = setTimeout(() => {
        this.#timers.pump = undefined;
        this.#pump();
      }, wait);
    }
  }

  /** Resolves the request a reply answers. Returns false when no request has that ref. */
  #reply(reply: ReplyFrame<Frame>): boolean {
    const pending = this.#pending.get(reply.ref as number);
    if (!pending) return false;
    const frame = reply as BaseServerFrame as BaseServerFrame & Partial<ErrorFrame>;
    if (frame.type === "error" && frame.code === "rate_limited") {
      // Refused for rate only: back into the outbox, in order, and pause for as long as asked.
      this.#insertOutbox(pending);
      const wait = Number((frame.details as { retry_after_ms?: number } | undefined)?.retry_after_ms) || 100;
      this.#tokens = 0;
      this.#tokensAt = Date.now();
      clearTimeout(this.#timers.pump);
      this.#timers.pump = setTimeout(() => {
        this.#timers.pump = undefined;
        this.#pump();
      }, wait);
      return true;
    }
    this.#pending.delete(pending.ref);
    if (frame.type === "error") {
      const error = frame as ErrorFrame;
      pending.reject(this.#error(error.code, error.message, undefined, error.details));
    } else {
      pending.resolve(reply);
    }
    return true;
  }

  /** After a socket is gone, every unanswered request goes back into the outbox, in ref order. */
  #requeueInflight(): void {
    this.#outbox = [...this.#pending.values()].sort((a, b) => a.ref - b.ref);
    clearTimeout(this.#timers.pump);
    this.#timers.pump = undefined;
  }

  #insertOutbox(pending: Pending<Frame>): void {
    const index = this.#outbox.findIndex((other) => other.ref > pending.ref);
    if (index === -1) this.#outbox.push(pending);
    else this.#outbox.splice(index, 0, pending);
  }

  #rejectAll(error: FlarebaseError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#outbox = [];
    for (const request of pending) request.reject(error);
  }

  // ===== Helpers

  #setState(state: SocketState, error: FlarebaseError | null, retryInMs: number | null): void {
    const previous = this.#state;
    this.#state = state;
    if (previous !== state || state === "disconnected") this.handlers.onState({ state, previous, error, retryInMs });
  }

  #stopTimers(): void {
    clearTimeout(this.#timers.connect);
    clearTimeout(this.#timers.uptime);
    clearInterval(this.#timers.heartbeat);
    clearTimeout(this.#timers.deadline);
    this.#timers.deadline = undefined;
    clearTimeout(this.#timers.pump);
    this.#timers.pump = undefined;
  }

  #url(): string {
    const url = new URL(this.core.url + this.path);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    for (const [name, value] of Object.entries(this.params())) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** The URL without its query, for messages. */
  #safeUrl(): string {
    return this.#url().split("?")[0] as string;
  }

  #error(
    code: ServerErrorCode | RealtimeClientErrorCode | ClientErrorCode,
    message: string,
    cause?: unknown,
    details?: unknown,
  ): FlarebaseError {
    return new FlarebaseError({ status: 0, code, message, details, url: this.#safeUrl(), cause });
  }
}

function detach(ws: WebSocket): void {
  ws.onmessage = null;
  ws.onclose = null;
  ws.onerror = null;
}

import { DurableObject } from "cloudflare:workers";
import type { z } from "zod";
import { ApiError } from "../../core/errors";
import { describeIssues } from "../../core/issues";
import { parseJsonText } from "../../core/json-limits";
import type { ConnectionLimits } from "../../core/protocol/channel";
import { CLOSE_CODES, isReservedCloseCode } from "../../core/protocol/close-codes";
import { CONNECT_HEADER, type ConnectParams, readConnectParams } from "../../core/protocol/connect-params";
import { HEARTBEAT_PING, HEARTBEAT_PONG, PROTOCOL_VERSION, SUBPROTOCOL } from "../../core/protocol/envelope";
import { BASE36, randomString } from "../../core/random";
import { exceedsUtf8Bytes } from "../../core/utf8";
import { withRoundTripCounter } from "../../data/d1/round-trips";
import { type Attachment, readAttachment } from "./attachment";
import {
  type DeliveredItem,
  errorFrame,
  errorFrameOf,
  type Json,
  messagesFrame,
  pongFrame,
  refuseInternal,
  refuseSocket,
} from "./frames";
import { DEFAULT_LIMITS, HubLimits, HubLimitsPatch } from "./limits";
import { TokenBucket } from "./rate-limit";

/**
 * A reply with work that must follow it on the wire: `after` runs right after `reply` is sent
 * (frames it sends come after the reply, never before).
 */
export interface ReplyAndThen {
  reply: string;
  after(): void;
}

/** The fields every client frame has once validated. */
export interface BaseClientFrame {
  type: string;
  ref?: number | undefined;
}

const OPEN = 1;

/**
 * The socket hub shared by every realtime object (channels, rooms, collection watchers): a
 * Durable Object base class that owns the WebSocket side, so subclasses only say what a frame
 * means.
 *
 * - Sockets are hibernatable (`ctx.acceptWebSocket`); each connection's state is a small versioned
 *   attachment, cached in memory and rebuilt after a wake-up.
 * - The heartbeat is answered by the runtime (`setWebSocketAutoResponse`), so idle sockets never
 *   wake the object, and no timer runs while it is idle: silent sockets are reaped lazily, on the
 *   next event after their deadline.
 * - Every inbound frame gets exactly one reply: the subclass's answer, or a typed `error` for a
 *   frame that is binary, oversized, not JSON, of another version, of an unknown type, rate limited
 *   or invalid. The connection always stays usable.
 * - Fan-out serializes a frame once for all subscribers; under a burst, queued messages are
 *   coalesced into one `messages` frame per subscriber (flushed at the end of the current turn,
 *   or as soon as the batch is full), in order.
 *
 * Handlers throw {@link ApiError} for a typed error: the request's `error` reply, or, from
 * {@link onConnect}, a refused connection. Every close by the hub is preceded by an `error` frame
 * that says why (unless the socket cannot be sent to any more).
 *
 * Subclasses implement {@link onConnect}, {@link onFrame} and optionally {@link onDisconnect}.
 */
export abstract class SocketHub extends DurableObject<Env> {
  protected readonly sql: SqlStorage;
  protected limits: HubLimits;

  /** The zod schema of this object's client frames (a discriminated union on `type`). */
  protected abstract readonly frameSchema: z.ZodType<BaseClientFrame>;
  /** The `type`s it accepts, to tell an unknown type from an invalid frame. */
  protected abstract readonly frameTypes: ReadonlySet<string>;

  #attachments = new WeakMap<WebSocket, Attachment>();
  #buckets = new WeakMap<WebSocket, TokenBucket>();
  #lastSeen = new WeakMap<WebSocket, number>();
  #gone = new WeakSet<WebSocket>();
  /** Open sockets that receive fan-out; null until first needed after a wake-up. */
  #live: Set<WebSocket> | null = null;
  #pending: Json<DeliveredItem>[] = [];
  #pendingBytes = 0;
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #nextReap = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, withRoundTripCounter(env));
    this.sql = ctx.storage.sql;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG));
    this.#createTables();
    this.limits = { ...DEFAULT_LIMITS, ...this.#storedLimits() };
  }

  /**
   * Accepts a WebSocket handed over by the Worker, which authenticated it and put the verified
   * identity in the {@link CONNECT_HEADER} of a request it built itself.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Realtime objects accept only WebSocket upgrades from the Worker.", { status: 426 });
    }
    const params = readConnectParams(request.headers.get(CONNECT_HEADER));
    if (params === null) {
      // Refused in-band like every upgrade: the Worker passes this response on to the client.
      return refuseSocket(new ApiError("invalid_request", "Missing or invalid connect parameters."), false);
    }
    return this.#accept(params);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = this.attachment(ws);
    if (!attachment) {
      // A socket we cannot read the state of (accepted by code with another attachment version):
      // it cannot be served correctly, so it is told to reconnect.
      const lost = new ApiError("internal", "This connection's state was lost; reconnect.", undefined, {
        closeCode: CLOSE_CODES.going_away,
      });
      this.#refuse(ws, lost, "state lost");
      return;
    }
    const now = Date.now();
    this.#lastSeen.set(ws, now);
    if (now >= this.#nextReap) this.#reap(now);
    if (this.#gone.has(ws)) return;
    if (attachment.exp !== null && now >= attachment.exp * 1000) {
      this.#refuse(ws, tokenExpired());
      return;
    }
    const reply = await this.#reply(ws, attachment, message, now);
    if (typeof reply === "string") {
      this.#send(ws, reply);
      return;
    }
    this.#send(ws, reply.reply);
    reply.after();
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#drop(ws);
    // Finish the close handshake, unless the runtime synthesized the code (no peer to answer).
    if (!isReservedCloseCode(code)) {
      try {
        ws.close(code, reason);
      } catch {
        // Already closed, or the runtime answered the Close frame itself.
      }
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#drop(ws);
  }

  /**
   * Overrides some limits of this object (persisted in its storage) and returns the limits now in
   * force. New values apply to new requests; rate buckets of open connections keep their size.
   *
   * @throws {Error} when `patch` is not a valid subset of {@link HubLimits}.
   */
  configure(patch: HubLimitsPatch): HubLimits {
    const merged = HubLimits.parse({ ...this.limits, ...HubLimitsPatch.parse(patch) });
    const stored = { ...this.#storedLimits(), ...patch };
    this.sql.exec(
      "INSERT INTO hub_meta (key, value) VALUES ('limits', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      JSON.stringify(stored),
    );
    this.limits = merged;
    return merged;
  }

  // ===== For subclasses

  /**
   * A new connection was accepted. Returns the frames to send it first, in order: its `hello`, then
   * anything it must get before live traffic (a resume's replay). Nothing else is sent to it until
   * these are, because this runs synchronously before it joins the fan-out. Throw an
   * {@link ApiError} to turn it away instead: it gets the error frame and the error's close code
   * ({@link onDisconnect} still runs for it).
   */
  protected abstract onConnect(ws: WebSocket, attachment: Attachment, params: ConnectParams): string[];

  /**
   * Handles one valid request frame (anything but `ping`) and returns its reply frame (or the reply
   * and what must follow it). Throw an {@link ApiError} for a typed error reply; anything else
   * thrown becomes `internal`.
   */
  protected abstract onFrame(
    ws: WebSocket,
    attachment: Attachment,
    frame: BaseClientFrame,
  ): string | ReplyAndThen | Promise<string | ReplyAndThen>;

  /** A connection is gone (closed, errored or reaped); runs once per connection. */
  protected onDisconnect(_ws: WebSocket, _attachment: Attachment): void {}

  /** The connection's attachment (cached), or null when missing or not ours. */
  protected attachment(ws: WebSocket): Attachment | null {
    let attachment = this.#attachments.get(ws);
    if (!attachment) {
      attachment = readAttachment(ws) ?? undefined;
      if (attachment) this.#attachments.set(ws, attachment);
    }
    return attachment ?? null;
  }

  /** Replaces a connection's attachment (the runtime keeps a copy, so every change is written). */
  protected setAttachment(ws: WebSocket, attachment: Attachment): void {
    this.#attachments.set(ws, attachment);
    ws.serializeAttachment(attachment);
  }

  /** Sends one frame to one connection; false (and the connection is dropped) when it is gone. */
  protected sendTo(ws: WebSocket, frame: string): boolean {
    if (this.#gone.has(ws)) return false;
    this.#send(ws, frame);
    return !this.#gone.has(ws);
  }

  /** Closes a connection from our side (send the `error` frame saying why first). */
  protected closeSocket(ws: WebSocket, code: number, reason: string): void {
    this.#close(ws, code, reason);
  }

  /** Tells a connection why it is being closed (an `error` frame), then closes it with the error's code. */
  protected closeWithError(ws: WebSocket, error: ApiError): void {
    this.#refuse(ws, error);
  }

  /** The limits a connection works under, as its hello announces them. */
  protected connectionLimits(attachment: Attachment): ConnectionLimits {
    const trusted = attachment.kind === "secret";
    return {
      max_frame_bytes: this.limits.max_frame_bytes,
      rate_per_second: trusted ? this.limits.trusted_rate_per_second : this.limits.rate_per_second,
      rate_burst: trusted ? this.limits.trusted_rate_burst : this.limits.rate_burst,
      heartbeat_ms: this.limits.heartbeat_ms,
    };
  }

  /** Every socket not yet dropped, open or closing (what presence rebuilds from). */
  protected *sockets(): Iterable<WebSocket> {
    for (const ws of this.ctx.getWebSockets()) if (!this.#gone.has(ws)) yield ws;
  }

  /** The number of open connections. */
  protected get connectionCount(): number {
    return this.#liveSockets().size;
  }

  /**
   * Queues one serialized message for every subscriber. Messages queued in the same turn (a
   * burst) go out together as one `messages` frame per subscriber, in queue order.
   */
  protected enqueue(message: Json<DeliveredItem>): void {
    this.#pending.push(message);
    this.#pendingBytes += message.length;
    if (
      this.#pending.length >= this.limits.coalesce_max_items ||
      this.#pendingBytes >= this.limits.coalesce_max_bytes
    ) {
      this.flush();
    } else if (this.#flushTimer === null) {
      this.#flushTimer = setTimeout(() => this.flush(), 0);
    }
  }

  /** Sends a frame to every subscriber now, after the messages queued before it. */
  protected broadcast(frame: string): void {
    this.flush();
    this.#sendAll(frame);
  }

  /** Sends the queued messages now. */
  protected flush(): void {
    if (this.#flushTimer !== null) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    if (this.#pending.length === 0) return;
    // Subscribers that only listen send no frames (the runtime answers their heartbeats), so
    // deliveries are where an expired token is noticed: it must not keep receiving messages.
    const now = Date.now();
    if (now >= this.#nextReap) this.#reap(now);
    const frame = messagesFrame(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#sendAll(frame);
  }

  /**
   * Deletes everything this object stores (tables, meta, limits, alarm) and starts over empty, as
   * a new object would. Subclasses recreate their own tables afterwards.
   */
  protected async deleteStorage(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.#createTables();
    this.limits = { ...DEFAULT_LIMITS };
  }

  /** Reads a `hub_meta` value. */
  protected meta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM hub_meta WHERE key = ?", key).toArray()[0];
    return row?.value ?? null;
  }

  /** Writes a `hub_meta` value. */
  protected setMeta(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO hub_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  // ===== Internals

  #accept(params: ConnectParams): Response {
    const now = Date.now();
    if (now >= this.#nextReap) this.#reap(now);
    const live = this.#liveSockets();
    if (live.size >= this.limits.max_connections) {
      const full = new ApiError(
        "too_many_connections",
        `This channel has reached its limit of ${this.limits.max_connections} connections; retry later.`,
        { max_connections: this.limits.max_connections },
      );
      return refuseSocket(full, params.subprotocol);
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const attachment: Attachment = {
      v: 1,
      cid: randomId(),
      client: params.client_id,
      user: params.user_id,
      kind: params.kind,
      ops: params.ops,
      exp: params.token_exp,
      at: now,
      pres: null,
    };
    this.setAttachment(server, attachment);
    // Deliver what is queued to the others first: the newcomer's hello reports the current seq and
    // its replay runs up to it, so it must not also get those messages live.
    this.flush();
    try {
      for (const frame of this.onConnect(server, attachment, params)) server.send(frame);
      live.add(server);
      this.#lastSeen.set(server, now);
    } catch (error) {
      // The client gets a fresh, plain socket that says why and closes at once: workerd delivers
      // the close of a hibernatable socket closed before its upgrade completes only seconds later.
      this.#close(server, CLOSE_CODES.going_away, "refused");
      if (error instanceof ApiError) return refuseSocket(error, params.subprotocol);
      console.error(`${this.constructor.name}: onConnect failed`, error);
      return refuseInternal("The connection could not be set up; reconnect.", params.subprotocol);
    }
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: params.subprotocol ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : {},
    });
  }

  /** Works out the one reply to an inbound frame. */
  async #reply(
    ws: WebSocket,
    attachment: Attachment,
    message: string | ArrayBuffer,
    now: number,
  ): Promise<string | ReplyAndThen> {
    if (typeof message !== "string") {
      return errorFrame(null, "invalid_frame", "Frames are JSON text; binary frames are not supported.");
    }
    const max = this.limits.max_frame_bytes;
    if (exceedsUtf8Bytes(message, max)) {
      return errorFrame(peekRef(message), "frame_too_large", `Frames may be at most ${max} bytes.`, { max_bytes: max });
    }
    // The limits of every JSON value (core/json-limits.ts) hold for frames too: a frame nested too
    // deep, or with a number beyond a double, is refused here, before any handler sees it.
    const json = parseJsonText(message);
    if (!json.ok) {
      const { kind, message: why, details } = json.problem;
      if (kind === "syntax") return errorFrame(null, "invalid_frame", "The frame is not valid JSON.");
      return errorFrame(peekRef(message), "invalid_frame", `The frame is refused: ${why}`, details);
    }
    const value = json.value;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return errorFrame(null, "invalid_frame", 'A frame is a JSON object: { "v": 1, "type": ..., ... }.');
    }
    const fields = value as Record<string, unknown>;
    const ref = isRef(fields.ref) ? fields.ref : null;
    const retryAfter = this.#bucket(ws, attachment, now).take(now, ref);
    if (retryAfter > 0) {
      return errorFrame(ref, "rate_limited", "Too many frames on this connection; slow down.", {
        retry_after_ms: retryAfter,
      });
    }
    if (fields.v !== PROTOCOL_VERSION) {
      return errorFrame(ref, "unsupported_version", `This server speaks protocol version ${PROTOCOL_VERSION}.`, {
        supported: [PROTOCOL_VERSION],
      });
    }
    if (typeof fields.type !== "string" || !this.frameTypes.has(fields.type)) {
      return errorFrame(ref, "unknown_type", `Unknown frame type ${JSON.stringify(fields.type)}.`, {
        types: [...this.frameTypes],
      });
    }
    const parsed = this.frameSchema.safeParse(value);
    if (!parsed.success) {
      return errorFrame(ref, "invalid_frame", `Invalid ${fields.type} frame.`, {
        issues: describeIssues(parsed.error),
      });
    }
    const frame = parsed.data;
    if (frame.type === "ping") {
      return frame.ref === undefined ? HEARTBEAT_PONG : pongFrame(frame.ref);
    }
    try {
      return await this.onFrame(ws, attachment, frame);
    } catch (error) {
      if (error instanceof ApiError) return errorFrameOf(ref, error);
      console.error(`${this.constructor.name}: ${frame.type} failed`, error);
      return errorFrame(ref, "internal", "Something went wrong on our side; the request may be retried.");
    }
  }

  #bucket(ws: WebSocket, attachment: Attachment, now: number): TokenBucket {
    let bucket = this.#buckets.get(ws);
    if (!bucket) {
      const trusted = attachment.kind === "secret";
      bucket = new TokenBucket(
        trusted ? this.limits.trusted_rate_per_second : this.limits.rate_per_second,
        trusted ? this.limits.trusted_rate_burst : this.limits.rate_burst,
        now,
      );
      this.#buckets.set(ws, bucket);
    }
    return bucket;
  }

  #liveSockets(): Set<WebSocket> {
    if (!this.#live) {
      this.#live = new Set();
      for (const ws of this.ctx.getWebSockets()) {
        if (ws.readyState === OPEN && !this.#gone.has(ws)) this.#live.add(ws);
      }
    }
    return this.#live;
  }

  #sendAll(frame: string): void {
    let failed: WebSocket[] | null = null;
    for (const ws of this.#liveSockets()) {
      try {
        ws.send(frame);
      } catch {
        failed ??= [];
        failed.push(ws);
      }
    }
    if (failed) for (const ws of failed) this.#close(ws, CLOSE_CODES.internal, "send failed");
  }

  #send(ws: WebSocket, frame: string): void {
    try {
      ws.send(frame);
    } catch {
      this.#drop(ws);
    }
  }

  /** Sends the `error` frame of `error`, then closes with its close code (the reason is the code, unless given). */
  #refuse(ws: WebSocket, error: ApiError, reason: string = error.code): void {
    this.#send(ws, errorFrameOf(null, error));
    this.#close(ws, error.closeCode, reason);
  }

  /** Closes a socket from our side and drops it at once (its close event will find it gone). */
  #close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
    this.#drop(ws);
  }

  /** Forgets a connection exactly once, whatever told us it is gone. */
  #drop(ws: WebSocket): void {
    if (this.#gone.has(ws)) return;
    this.#gone.add(ws);
    this.#live?.delete(ws);
    const attachment = this.attachment(ws);
    if (attachment) this.onDisconnect(ws, attachment);
  }

  /**
   * Closes connections that stopped proving they are alive (no frame and no heartbeat for
   * `idle_timeout_ms`) or whose token expired. Runs lazily, on events, never on a timer.
   */
  #reap(now: number): void {
    const timeout = this.limits.idle_timeout_ms;
    this.#nextReap = now + Math.max(1000, Math.floor(timeout / 4));
    for (const ws of [...this.#liveSockets()]) {
      const attachment = this.attachment(ws);
      if (!attachment) continue;
      if (attachment.exp !== null && now >= attachment.exp * 1000) {
        this.#refuse(ws, tokenExpired());
        continue;
      }
      const heartbeat = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const last = Math.max(this.#lastSeen.get(ws) ?? 0, heartbeat, attachment.at);
      if (now - last > timeout) {
        // Most likely nobody is listening any more; if someone is, they learn why.
        const silent = new ApiError("heartbeat_timeout", `Nothing was heard on this connection for ${timeout} ms.`, {
          idle_timeout_ms: timeout,
        });
        this.#refuse(ws, silent, "heartbeat timeout");
      }
    }
  }

  #createTables(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS hub_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  #storedLimits(): HubLimitsPatch {
    const raw = this.sql.exec<{ value: string }>("SELECT value FROM hub_meta WHERE key = 'limits'").toArray()[0];
    if (!raw) return {};
    const parsed = HubLimitsPatch.safeParse(JSON.parse(raw.value));
    return parsed.success ? parsed.data : {};
  }
}

function tokenExpired(): ApiError {
  return new ApiError("token_expired", "The token expired; reconnect with a fresh one.");
}

function isRef(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1;
}

/**
 * The `ref` of a frame too large to parse, when it can be found cheaply near the start or the end
 * (where `JSON.stringify` puts a field added last).
 */
function peekRef(message: string): number | null {
  const pattern = /"ref"\s*:\s*(\d{1,15})\s*[,}]/;
  const match = pattern.exec(message.slice(0, 4096)) ?? pattern.exec(message.slice(-4096));
  return match ? Number(match[1]) : null;
}

/** A random connection id: 16 characters of base 36 (about 82 bits). */
export function randomId(): string {
  return randomString(16, BASE36);
}

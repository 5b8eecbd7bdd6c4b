import { exports } from "cloudflare:workers";
import type { z } from "zod";
import type { ChannelServerFrame } from "../../core/protocol/channel";
import { parseServerFrame, serverFrameSchemaFor } from "../strict-frames";

/** How long a helper waits for a frame or a close before failing with what it was waiting for. */
const WAIT_MS = 5000;

/** A received frame: one of the protocol's server frames, readable field by field. */
type Frame<ServerFrame> = ServerFrame & Record<string, unknown>;

export interface ConnectOptions {
  /** Query parameters (api_key, access_token, client_id, since_seq, epoch). */
  query?: Record<string, string | number>;
  headers?: Record<string, string>;
  /** Offered subprotocols (sent as Sec-WebSocket-Protocol). */
  protocols?: string[];
}

/**
 * A client socket for tests: every frame it receives is queued, and `next` takes them in order,
 * waiting (with a timeout) for one that has not arrived yet. Raw text is kept too, for tests about
 * exact bytes (the heartbeat). `ServerFrame` is the protocol's union of server frames (a channel's
 * by default), and `schema` its zod union: every received frame is parsed strictly against it
 * (test/strict-frames.ts), and a frame that does not match fails the next call that waits on the
 * socket (and `close`), so a drifting frame fails the test that received it.
 */
export class TestSocket<ServerFrame extends { type: string } = ChannelServerFrame> {
  readonly raw: string[] = [];
  #queue: Frame<ServerFrame>[] = [];
  #waiters: (() => void)[] = [];
  #closed: Promise<{ code: number; reason: string }>;
  #nextRef = 1;
  #violation: Error | null = null;

  constructor(
    readonly ws: WebSocket,
    readonly response: Response,
    readonly schema: z.ZodType<{ type: string }>,
  ) {
    ws.accept();
    this.#closed = new Promise((resolve) => {
      ws.addEventListener("close", (event) => {
        resolve({ code: event.code, reason: event.reason });
        this.#wake();
      });
    });
    ws.addEventListener("message", (event) => {
      const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data as ArrayBuffer);
      this.raw.push(text);
      try {
        parseServerFrame(schema, text);
      } catch (error) {
        this.#violation ??= error as Error;
      }
      this.#queue.push(JSON.parse(text) as Frame<ServerFrame>);
      this.#wake();
    });
  }

  /** The next received frame (optionally the next one of `type`, skipping others), waiting for it. */
  async next<T extends Frame<ServerFrame>["type"]>(
    type?: T,
    timeoutMs = WAIT_MS,
  ): Promise<Extract<Frame<ServerFrame>, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.#checkFrames();
      const index =
        type === undefined ? (this.#queue.length > 0 ? 0 : -1) : this.#queue.findIndex((f) => f.type === type);
      if (index >= 0) return this.#queue.splice(index, 1)[0] as Extract<Frame<ServerFrame>, { type: T }>;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Timed out waiting for a ${type ?? "frame"}; queued: ${JSON.stringify(this.#queue.map((f) => f.type))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Frames received and not yet taken. */
  get queued(): readonly Frame<ServerFrame>[] {
    return this.#queue;
  }

  /** Sends a frame (an object is serialized; a string is sent as it is). */
  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Sends a request with a fresh `ref` and waits for the frame that answers it. */
  async request(frame: Record<string, unknown>): Promise<Frame<ServerFrame>> {
    const ref = this.#nextRef++;
    this.send({ v: 1, ...frame, ref });
    return this.reply(ref);
  }

  /** Waits for the reply (any frame with `ref`) to request `ref`. */
  async reply(ref: number, timeoutMs = WAIT_MS): Promise<Frame<ServerFrame>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.#checkFrames();
      const index = this.#queue.findIndex((f) => "ref" in f && f.ref === ref);
      if (index >= 0) return this.#queue.splice(index, 1)[0] as Frame<ServerFrame>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for the reply to ref ${ref}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Publishes and returns the ack (or error) frame. */
  publish(name: string, data: unknown, extra: Record<string, unknown> = {}): Promise<Frame<ServerFrame>> {
    return this.request({ type: "publish", id: extra.id ?? crypto.randomUUID(), name, data, ...extra });
  }

  /** Resolves with the close code and reason (fails after the timeout). */
  closed(timeoutMs = WAIT_MS): Promise<{ code: number; reason: string }> {
    return Promise.race([
      this.#closed.then((closed) => {
        this.#checkFrames();
        return closed;
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("Timed out waiting for close")), timeoutMs)),
    ]);
  }

  /** Collects `count` delivered messages (from `messages` frames), in order. */
  async messages(count: number, timeoutMs = WAIT_MS): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    while (items.length < count) {
      const frame = await this.next("messages", timeoutMs);
      items.push(...(frame.items as Record<string, unknown>[]));
    }
    return items;
  }

  /** Closes the socket; throws if any frame it received did not match its schema. */
  close(code = 1000): void {
    try {
      this.ws.close(code, "test done");
    } catch {
      // Already closed.
    }
    this.#checkFrames();
  }

  /** Throws the first schema violation among the frames received so far. */
  #checkFrames(): void {
    if (this.#violation) throw this.#violation;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Opens a realtime socket to a channel through the Worker, as a client would. */
export function connectChannel(channel: string, options: ConnectOptions = {}): Promise<TestSocket> {
  return connectRealtime(`channels/${encodeURIComponent(channel)}`, options);
}

/**
 * Opens a socket to any realtime endpoint through the Worker (`path` below `/v1/realtime/`, e.g.
 * `rooms/lobby`), typed with that object's server frames.
 */
export async function connectRealtime<ServerFrame extends { type: string } = ChannelServerFrame>(
  path: string,
  options: ConnectOptions = {},
): Promise<TestSocket<ServerFrame>> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query ?? {})) query.set(key, String(value));
  const headers = new Headers({ Upgrade: "websocket", ...options.headers });
  if (options.protocols) headers.set("Sec-WebSocket-Protocol", options.protocols.join(", "));
  const qs = query.size > 0 ? `?${query}` : "";
  const url = `https://flarebase.test/v1/realtime/${path}${qs}`;
  const response = await exports.default.fetch(url, { headers });
  if (!response.webSocket) {
    throw new Error(`Upgrade refused: ${response.status} ${await response.text()}`);
  }
  return new TestSocket<ServerFrame>(response.webSocket, response, serverFrameSchemaFor(url));
}

/** Connects and takes the hello frame. */
export async function joinChannel(channel: string, options: ConnectOptions = {}) {
  const socket = await connectChannel(channel, options);
  const hello = await socket.next("hello");
  return { socket, hello };
}

/** A unique channel name per test, so tests never share an object. */
export function uniqueChannel(prefix = "t"): string {
  return `${prefix}:${crypto.randomUUID().slice(0, 8)}`;
}

/** The ChannelObject stub for a project's channel. */
export function channelStub(env: Env, projectId: string, channel: string) {
  return env.CHANNEL.get(env.CHANNEL.idFromName(`${projectId}:${channel}`));
}

/** Polls `check` until it returns true (for effects with no event to await, e.g. a close processed). */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await scheduler.wait(5);
  }
}

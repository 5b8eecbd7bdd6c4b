import type { ChannelServerFrame, HelloFrame, Message } from "../../core/protocol/channel.js";
import { Emitter, type Listener, type Unsubscribe } from "./emitter.js";
import type { ReconnectOptions } from "./policy.js";
import { ChannelPresence } from "./presence.js";
import { type GapEvent, ResumeCursor } from "./resume-cursor.js";
import { type RealtimeCore, RealtimeSocket, type SocketState, type SocketStateChange } from "./socket.js";

/** A delivered message: `seq` is the channel's sequence number (null for an ephemeral message). */
export type ChannelMessage = Message;

export type { GapEvent };

/** What `publish` resolves to. */
export interface PublishResult {
  id: string;
  /** The message's seq; null for an ephemeral message. */
  seq: number | null;
  timestamp: number;
  /** True when the server had this id already (a resend): seq and timestamp are the original ones. */
  duplicate: boolean;
}

export interface PublishOptions {
  /** Deliver live only: not stored, no seq, not replayed (typing indicators, cursors). */
  ephemeral?: boolean;
  /** Your own message id (1-64 of A-Z a-z 0-9 . _ : -) for exactly-once across your retries. */
  id?: string;
}

/** A page of stored messages, newest first. */
export interface HistoryPage {
  items: ChannelMessage[];
  has_more: boolean;
  /** Pass as `beforeSeq` for the next (older) page. */
  next_before_seq: number | null;
}

export interface ChannelOptions {
  /** Who this client is on the channel with a key (a token always speaks as its user). */
  clientId?: string;
  /** Start from this seq: the first connect replays what came after it (as far as the server still holds). */
  sinceSeq?: number;
  reconnect?: ReconnectOptions;
}

/**
 * One pub/sub channel (`client.realtime.channels.get(name)`), on its own reconnecting socket.
 *
 * Delivery is exactly once and in order: the channel tracks the last seq it delivered, resumes
 * from it after every reconnect (the server replays what was missed before live traffic), drops
 * anything it already delivered, and reports a gap it cannot fill through `onGap`. Publishes wait
 * while disconnected and are resent with the same id until acknowledged, so each is stored once.
 */
export class Channel {
  readonly presence: ChannelPresence;
  #socket: RealtimeSocket;
  #cursor: ResumeCursor;
  #all = new Emitter<ChannelMessage>();
  #byName = new Map<string, Emitter<ChannelMessage>>();
  #gaps = new Emitter<GapEvent>();
  #states = new Emitter<SocketStateChange>();

  constructor(
    core: RealtimeCore,
    readonly name: string,
    private readonly clientId: string,
    options: ChannelOptions,
    onState: (channel: Channel, change: SocketStateChange) => void,
  ) {
    this.#cursor = new ResumeCursor(options.sinceSeq);
    this.#socket = new RealtimeSocket(
      core,
      `/v1/realtime/channels/${encodeURIComponent(name)}`,
      () => ({ client_id: this.clientId, ...this.#cursor.params() }),
      {
        onHello: (hello, reconnect) => this.#onHello(hello, reconnect),
        onFrame: (frame) => this.#onFrame(frame),
        onState: (change) => {
          this.#states.emit(change);
          onState(this, change);
        },
      },
      options.reconnect,
    );
    this.presence = new ChannelPresence(this.#socket);
  }

  /** The socket's state. */
  get state(): SocketState {
    return this.#socket.state;
  }

  /** The seq of the last message delivered (or the channel's seq when first connected); null before. */
  get seq(): number | null {
    return this.#cursor.seq;
  }

  /** Who the server says this connection is (from the last hello); null before connecting. */
  get connection(): { connection_id: string; client_id: string; user_id: string | null } | null {
    const hello = this.#socket.hello;
    return hello ? { connection_id: hello.connection_id, client_id: hello.client_id, user_id: hello.user_id } : null;
  }

  /**
   * Listens to every message, or to messages with one name. Connects if needed. Returns a function
   * that removes the listener.
   *
   * @example
   * const off = channel.on("chat", (message) => console.log(message.client_id, message.data));
   */
  on(listener: Listener<ChannelMessage>): Unsubscribe;
  on(name: string, listener: Listener<ChannelMessage>): Unsubscribe;
  on(nameOrListener: string | Listener<ChannelMessage>, listener?: Listener<ChannelMessage>): Unsubscribe {
    this.#socket.open();
    if (typeof nameOrListener === "function") return this.#all.on(nameOrListener);
    let emitter = this.#byName.get(nameOrListener);
    if (!emitter) {
      emitter = new Emitter();
      this.#byName.set(nameOrListener, emitter);
    }
    return emitter.on(listener as Listener<ChannelMessage>);
  }

  /** Called when messages were lost for good (see {@link GapEvent}). */
  onGap(listener: Listener<GapEvent>): Unsubscribe {
    return this.#gaps.on(listener);
  }

  /** Called on every state change of this channel's socket. */
  onStateChange(listener: Listener<SocketStateChange>): Unsubscribe {
    return this.#states.on(listener);
  }

  /**
   * Publishes a message; resolves when the server stored it (or, ephemeral, accepted it). While
   * disconnected it waits and is sent (or resent) after reconnecting, with the same id.
   *
   * @example
   * const { seq } = await channel.publish("chat", { text: "hello" });
   *
   * @throws {FlarebaseError} `forbidden` without the publish capability, `frame_too_large` above
   * the size limit, `invalid_frame` for a bad name or id, `queue_full`, `closed`, or the
   * connection's error once it has failed.
   */
  async publish(name: string, data?: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    const id = options.id ?? newMessageId();
    const reply = await this.#socket.request({ type: "publish", id, name, data, ephemeral: options.ephemeral });
    if (reply.type !== "ack") throw new TypeError(`Unexpected ${reply.type} reply to a publish.`);
    return {
      id,
      seq: reply.seq ?? null,
      timestamp: reply.timestamp ?? Date.now(),
      duplicate: reply.duplicate === true,
    };
  }

  /**
   * Reads stored messages, newest first, older than `beforeSeq` (the latest when omitted).
   *
   * @example
   * let page = await channel.history({ limit: 50 });
   * while (page.has_more) page = await channel.history({ beforeSeq: page.next_before_seq ?? undefined });
   */
  async history(options: { beforeSeq?: number; limit?: number } = {}): Promise<HistoryPage> {
    const reply = await this.#socket.request({ type: "history", before_seq: options.beforeSeq, limit: options.limit });
    if (reply.type !== "history_page") throw new TypeError(`Unexpected ${reply.type} reply to history.`);
    return { items: reply.items, has_more: reply.has_more, next_before_seq: reply.next_before_seq };
  }

  /** Connects now (listeners and calls connect on their own). */
  attach(): void {
    this.#socket.open();
  }

  /** Reconnects now (for example after the credentials changed), resuming where it was. */
  reconnect(): void {
    this.#socket.reconnect();
  }

  /** Closes the channel for good: leaves presence, rejects what is pending, stops reconnecting. */
  close(): void {
    this.#socket.close();
  }

  #onHello(hello: HelloFrame, reconnect: boolean): void {
    this.presence.sync(hello.presence);
    const gap = this.#cursor.onHello(hello);
    if (gap) this.#gaps.emit(gap);
    if (reconnect) this.presence.restore();
  }

  #onFrame(frame: ChannelServerFrame): void {
    if (frame.type === "messages") {
      for (const message of frame.items) this.#deliver(message);
    } else if (frame.type === "presence") {
      this.presence.apply(frame);
    }
  }

  #deliver(message: ChannelMessage): void {
    // Already delivered (a replay overlapping what arrived live): exactly once means drop it.
    if (!this.#cursor.accept(message.seq)) return;
    this.#all.emit(message);
    this.#byName.get(message.name)?.emit(message);
  }
}

/** A message id: base-36 time and 8 random base-36 characters (stable across resends). */
export function newMessageId(): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now().toString(36)}-${(random[0] as number).toString(36)}${(random[1] as number).toString(36)}`.slice(
    0,
    64,
  );
}

import { BROADCAST_CHANNEL } from "../../core/protocol/identifiers.js";
import type { WebSocketConstructor } from "../client.js";
import { Channel, type ChannelMessage, type PublishResult } from "./channel.js";
import { Emitter, type Listener, type Unsubscribe } from "./emitter.js";
import type { ReconnectOptions } from "./policy.js";
import type { Realtime } from "./realtime.js";
import { standaloneCore } from "./standalone.js";

/** The project's reserved channel. */
export { BROADCAST_CHANNEL };

/** The message name `send` publishes under; announcements from a server may use any other. */
const BROADCAST_NAME = "broadcast";

/** A project-wide broadcast, as `onMessage` hands it over. */
export interface BroadcastMessage {
  id: string;
  seq: number | null;
  /** The sender's user id (its client id on the channel). */
  user_id: string;
  /** The name the sender gave; null for messages not sent through `send` (e.g. a server's REST publish). */
  user_name: string | null;
  /** The message name: `broadcast` for `send`, anything for announcements published otherwise. */
  name: string;
  data: unknown;
  timestamp: number;
}

export interface ProjectBroadcastOptions {
  /** The server's URL; defaults to the page's origin in a browser. */
  url?: string;
  WebSocket?: WebSocketConstructor;
  reconnect?: ReconnectOptions;
}

/**
 * Project-wide messaging: every client of the project on one reserved channel, with the same
 * delivery guarantees as any channel (ordered, exactly once, resumed after reconnects).
 *
 * @example
 * const broadcast = new ProjectBroadcast("pk_…", "user_123", "Alice", { url: "https://flarebase.example.com" });
 * broadcast.onMessage((message) => console.log(`${message.user_name}: ${JSON.stringify(message.data)}`));
 * broadcast.connect();
 * await broadcast.send({ text: "Hello everyone!" });
 *
 * @example
 * // With a client: client.realtime.broadcast(userId, userName)
 * const broadcast = client.realtime.broadcast("user_123", "Alice").connect();
 */
export class ProjectBroadcast {
  /** The underlying channel (for presence or history). */
  readonly channel: Channel;
  #messages = new Emitter<BroadcastMessage>();
  #unsubscribe: Unsubscribe | null = null;

  /**
   * @param apiKey the project's public key (a secret key only on a server)
   * @param userId who is sending (with a key; a user token always speaks as its user)
   * @param userName shown with every message sent through `send`
   */
  constructor(apiKey: string, userId: string, userName: string, options?: ProjectBroadcastOptions);
  /** @internal Used by `client.realtime.broadcast()`. */
  constructor(realtime: Realtime, userId: string, userName: string);
  constructor(
    keyOrRealtime: string | Realtime,
    readonly userId: string,
    readonly userName: string,
    options: ProjectBroadcastOptions = {},
  ) {
    // Standalone, it holds its one channel itself rather than a whole Realtime, so a page that
    // imports only ProjectBroadcast ships the realtime core and channels, not rooms or watchers.
    this.channel =
      typeof keyOrRealtime === "string"
        ? new Channel(
            standaloneCore({ ...options, key: keyOrRealtime }, "new ProjectBroadcast(key, id, name, { url })"),
            BROADCAST_CHANNEL,
            userId,
            { reconnect: options.reconnect },
            () => {},
          )
        : keyOrRealtime.channels.get(BROADCAST_CHANNEL, { clientId: userId, reconnect: options.reconnect });
  }

  /** Calls `listener` for every broadcast; returns a function that removes it. */
  onMessage(listener: Listener<BroadcastMessage>): Unsubscribe {
    return this.#messages.on(listener);
  }

  /** Starts receiving (and reconnecting). Returns this, for chaining. */
  connect(): this {
    this.#unsubscribe ??= this.channel.on((message) => this.#messages.emit(toBroadcast(message)));
    return this;
  }

  /**
   * Sends `data` to everyone on the project (connecting if needed); resolves when stored.
   *
   * @throws {FlarebaseError} like `channel.publish`.
   */
  send(data: unknown): Promise<PublishResult> {
    this.connect();
    return this.channel.publish(BROADCAST_NAME, { user_name: this.userName, data });
  }

  /** Stops receiving and closes the connection; a new ProjectBroadcast is needed afterwards. */
  disconnect(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.channel.close();
  }
}

function toBroadcast(message: ChannelMessage): BroadcastMessage {
  const wrapped =
    message.name === BROADCAST_NAME ? (message.data as { user_name?: unknown; data?: unknown } | null) : null;
  return {
    id: message.id,
    seq: message.seq,
    user_id: message.client_id,
    user_name: typeof wrapped?.user_name === "string" ? wrapped.user_name : null,
    name: message.name,
    data: wrapped ? wrapped.data : message.data,
    timestamp: message.timestamp,
  };
}

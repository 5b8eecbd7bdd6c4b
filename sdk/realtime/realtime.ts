import type { DocumentData } from "../../core/documents/wire.js";
import { CHANNEL_NAME_PATTERN, ROOM_ID_PATTERN } from "../../core/protocol/identifiers.js";
import { BASE36, randomString } from "../../core/random.js";
import type { ClientCore } from "../client.js";
import type { Filter } from "../collection-query.js";
import type { Transport } from "../http.js";
import { Channel, type ChannelOptions } from "./channel.js";
import { CollectionWatcher, type CollectionWatcherOptions } from "./collection-watcher.js";
import { Connection } from "./connection.js";
import type { ReconnectOptions } from "./policy.js";
import { ProjectBroadcast } from "./project-broadcast.js";
import { Room, type RoomOptions } from "./room.js";
import { fetchRooms, type ListRoomsQuery, type RoomList } from "./room-directory.js";
import type { RealtimeCore } from "./socket.js";

export interface RealtimeOptions {
  /**
   * Who this client is on channels when it connects with a key (a token always speaks as its
   * user). Keep it stable across page loads if presence should recognise the visitor; defaults to
   * a random id per client.
   */
  clientId?: string;
  reconnect?: ReconnectOptions | undefined;
}

/** `client.realtime.channels`. */
export interface Channels {
  /**
   * The channel called `name`: the same object for the same name until it is released. Options
   * apply when it is first created.
   *
   * @throws {TypeError} for a name that is not 1-255 of A-Z a-z 0-9 . _ : -
   */
  get(name: string, options?: ChannelOptions): Channel;
  /** Closes a channel and forgets it. */
  release(name: string): void;
}

/**
 * `client.realtime`: pub/sub channels with presence and history, and the project broadcast.
 *
 * @example
 * const chat = client.realtime.channels.get("chat:lobby");
 * chat.on("message", (message) => render(message));
 * await chat.publish("message", { text: "hi" });
 * await chat.presence.enter({ name: "Alice" });
 */
export class Realtime {
  readonly connection = new Connection();
  readonly channels: Channels;
  readonly clientId: string;
  #channels = new Map<string, Channel>();
  #rooms = new Set<Room>();
  #closed = false;

  constructor(
    private readonly core: RealtimeCore & Partial<Pick<ClientCore, "onTokenChange"> & Transport>,
    private readonly options: RealtimeOptions = {},
  ) {
    this.clientId = options.clientId ?? `c-${randomString(12, BASE36)}`;
    // A new token: every open channel reconnects with it (and resumes where it was).
    core.onTokenChange?.(() => {
      for (const channel of this.#channels.values()) channel.reconnect();
      for (const room of this.#rooms) room.reconnect();
    });
    this.channels = {
      get: (name, channelOptions) => this.#channel(name, channelOptions),
      release: (name) => {
        this.#channels.get(name)?.close();
        this.#channels.delete(name);
      },
    };
  }

  /**
   * The project-wide broadcast channel, sending as `userId` with `userName`.
   *
   * @example
   * const broadcast = client.realtime.broadcast("user_123", "Alice").connect();
   * broadcast.onMessage((message) => console.log(message.user_name, message.data));
   * await broadcast.send({ text: "Hello everyone!" });
   */
  broadcast(userId: string, userName: string): ProjectBroadcast {
    return new ProjectBroadcast(this, userId, userName);
  }

  /**
   * A watcher of a collection's changes (the Cocobase SDK's `db.realtime.collection`); call `connect()`.
   * For a list kept current, prefer `client.collection(name).live(filter)`.
   *
   * @example
   * const watcher = client.realtime.collection("users", { status: "active" });
   * watcher.onCreate((d) => console.log(d.data));
   * watcher.connect();
   */
  collection<T extends object = DocumentData>(
    name: string,
    filters?: Filter,
    options?: Pick<CollectionWatcherOptions, "snapshot" | "reconnect">,
  ): CollectionWatcher<T> {
    return new CollectionWatcher<T>(name, this.core, filters, {
      ...options,
      reconnect: options?.reconnect ?? this.options.reconnect,
    });
  }

  /**
   * A room (chat, participants, shared state, actions) as `userId` named `userName`; call
   * `create()` or `join()` to enter it. Each call makes a new handle with its own connection.
   *
   * @example
   * const room = client.realtime.room("general", "user_1", "Alice");
   * room.on("message", (m) => console.log(`${m.user_name}: ${m.content}`));
   * await room.join();
   *
   * @throws {TypeError} for an id that is not 1-128 of A-Z a-z 0-9 . _ : -
   */
  room(id: string, userId: string, userName: string, options: RoomOptions = {}): Room {
    if (this.#closed) throw new TypeError("Flarebase: this realtime client was closed.");
    if (!ROOM_ID_PATTERN.test(id)) {
      throw new TypeError(`Flarebase: "${id}" is not a room id: use 1-128 characters of A-Z a-z 0-9 . _ : -`);
    }
    const room = new Room(
      this.core,
      id,
      userId,
      userName,
      { ...options, reconnect: options.reconnect ?? this.options.reconnect },
      (change) => {
        this.connection.report(`room:${id}`, change);
        if (change.state === "closed" || change.state === "failed") this.#rooms.delete(room);
      },
    );
    this.#rooms.add(room);
    return room;
  }

  /**
   * One page of the project's public rooms (`GET /v1/rooms`), newest first.
   *
   * @example
   * const { items, next_cursor } = await client.realtime.listRooms({ limit: 20 });
   */
  listRooms(query?: ListRoomsQuery): Promise<RoomList> {
    return fetchRooms(this.core, query);
  }

  /** Closes every channel and room for good. */
  close(): void {
    this.#closed = true;
    for (const channel of this.#channels.values()) channel.close();
    this.#channels.clear();
    for (const room of [...this.#rooms]) room.close();
    this.connection.markClosed();
  }

  #channel(name: string, options: ChannelOptions = {}): Channel {
    if (this.#closed) throw new TypeError("Flarebase: this realtime client was closed.");
    if (!CHANNEL_NAME_PATTERN.test(name)) {
      throw new TypeError(`Flarebase: "${name}" is not a channel name: use 1-255 characters of A-Z a-z 0-9 . _ : -`);
    }
    const existing = this.#channels.get(name);
    if (existing && existing.state !== "closed") return existing;
    const channel = new Channel(
      this.core,
      name,
      options.clientId ?? this.clientId,
      { ...options, reconnect: options.reconnect ?? this.options.reconnect },
      (_channel, change) => this.connection.report(name, change),
    );
    this.#channels.set(name, channel);
    return channel;
  }
}

/** The client's realtime members: `client.realtime` and `client.connection`. */
export function createRealtimeApi(
  core: ClientCore,
  options?: RealtimeOptions,
): { realtime: Realtime; connection: Connection } {
  const realtime = new Realtime(core, options);
  return { realtime, connection: realtime.connection };
}

declare module "../client.js" {
  interface FlarebaseClient {
    /** Realtime: pub/sub channels with presence, history and resume, and the project broadcast. */
    readonly realtime: Realtime;
    /** The state of the realtime connections, as events. */
    readonly connection: Connection;
  }
}

import type { ErrorFrame } from "../../core/protocol/channel.js";
import type {
  ActionMessage,
  ChatMessage,
  DeltaFrame,
  Participant,
  RoomAckFrame,
  RoomCreateOptions,
  RoomHelloFrame,
  RoomInfo,
  RoomItem,
  RoomServerFrame,
  StateOp,
} from "../../core/protocol/room.js";
import { parsePath } from "../../core/protocol/room-paths.js";
import { FlarebaseError } from "../errors.js";
import { newMessageId } from "./channel.js";
import { Emitter, type Listener, type Unsubscribe } from "./emitter.js";
import type { ReconnectOptions } from "./policy.js";
import { type GapEvent, ResumeCursor } from "./resume-cursor.js";
import { RoomParticipants } from "./room-participants.js";
import { SharedState } from "./room-shared-state.js";
import { type RealtimeCore, RealtimeSocket, type SocketState, type SocketStateChange } from "./socket.js";

export type { ActionMessage, ChatMessage, Participant, RoomInfo, StateOp };

/** What `room.create()` takes: a title, or the room's fields (defaults: public, anyone writes state). */
export type RoomSettings = Partial<RoomCreateOptions> & { title: string };

/** The room's state changed from `from_version` to `to_version` (one more) by `user_id`'s update. */
export type RoomDelta = Pick<DeltaFrame, "from_version" | "to_version" | "user_id" | "changes">;

/** The whole shared state: on joining, after a reconnect, and after `requestState()`. */
export interface RoomStateSnapshot {
  state: Record<string, unknown>;
  version: number;
}

/** What `joined` receives, after every (re)connect; `create()` and `join()` resolve with the first. */
export interface RoomJoinedEvent {
  room_id: string;
  room_title: string;
  room: RoomInfo;
  /** True when this connection created the room. */
  created: boolean;
  /** True after a reconnect (missed messages follow; state and participants are current again). */
  rejoined: boolean;
  /** You, as the others see you. */
  participant: Participant;
  participants: Participant[];
  state: Record<string, unknown>;
  version: number;
  /** The room's last message seq. */
  seq: number;
}

/** The owner closed the room (or it was closed when joining). */
export interface RoomClosedEvent {
  closed_by: string | null;
  reason: string | null;
}

/** The owner removed this user from the room. */
export interface RoomRemovedEvent {
  removed_by: string | null;
  reason: string | null;
}

/** Every event a room emits, by name. */
export interface RoomEvents {
  joined: RoomJoinedEvent;
  /** A chat message (recent history on the first join, then live), each exactly once, in seq order. */
  message: ChatMessage;
  /** An action (`seq` null when ephemeral). */
  action: ActionMessage;
  participant_joined: Participant;
  participant_updated: Participant;
  participant_left: Participant;
  delta: RoomDelta;
  /** The whole state was taken from the room (join, reconnect, `requestState()`). */
  state: RoomStateSnapshot;
  /** Messages lost for good while away (see {@link GapEvent}). */
  gap: GapEvent;
  closed: RoomClosedEvent;
  removed: RoomRemovedEvent;
  /** The room stopped for a reason other than `closed`/`removed` (`room_not_found`, `room_full`, …). */
  error: FlarebaseError;
  /** Every state change of the room's socket. */
  connection: SocketStateChange;
}

/** What sending a message or an action resolves to. */
export interface RoomSendResult {
  id: string;
  /** Null for an ephemeral action. */
  seq: number | null;
  timestamp: number;
  /** True when the room had this id already (a resend): seq and timestamp are the original ones. */
  duplicate: boolean;
}

/** What removing a participant resolves to: who, and whether they were in the room then. */
export type RoomRemoveResult = Required<Pick<RoomAckFrame, "user_id" | "present">>;

/** What a state update resolves to: the version it made. */
export interface StateUpdateResult {
  id: string;
  version: number;
  duplicate: boolean;
}

export interface RoomOptions {
  /** Shown to the others with your name (at most 1 KiB as JSON). */
  userMetadata?: Record<string, unknown>;
  /** Recent messages to receive on the first join (the room's default when absent). */
  history?: number;
  /** Resume from this seq instead of receiving recent history. */
  sinceSeq?: number;
  reconnect?: ReconnectOptions;
}

type RoomReply = Extract<RoomServerFrame, { ref: number | null | undefined }>;

/**
 * One room (`client.realtime.room(id, userId, userName)`): chat with participants, a shared JSON
 * state with versioned deltas, relayed actions and moderation by its owner, on its own
 * reconnecting socket.
 *
 * `create()` or `join()` connects. After a reconnect the room is joined again the same way (a
 * resent `create` joins the existing room), messages resume from the last seq and are delivered
 * exactly once in order, the state is taken again as a snapshot, and participant changes missed
 * meanwhile are reported. Sends wait while disconnected and are resent with the same id, so each
 * takes effect once.
 *
 * @example
 * const room = client.realtime.room("general", "user_1", "Alice");
 * room.on("message", (m) => console.log(`${m.user_name}: ${m.content}`));
 * await room.create({ title: "General Chat" });
 * await room.sendMessage("Hello everyone!");
 * await room.increment("score.alice", 5);
 */
export class Room {
  #socket: RealtimeSocket<RoomServerFrame, RoomHelloFrame>;
  #cursor: ResumeCursor;
  #participants = new RoomParticipants();
  #shared = new SharedState();
  #emitters = new Map<keyof RoomEvents, Emitter<unknown>>();
  #create: RoomCreateOptions | null = null;
  #joined: {
    promise: Promise<RoomJoinedEvent>;
    resolve(event: RoomJoinedEvent): void;
    reject(error: unknown): void;
  } | null = null;
  #info: RoomInfo | null = null;
  #syncing: Promise<RoomStateSnapshot> | null = null;
  readonly #url: string;

  constructor(
    core: RealtimeCore,
    readonly id: string,
    readonly userId: string,
    readonly userName: string,
    private readonly options: RoomOptions = {},
    onState?: (change: SocketStateChange) => void,
  ) {
    this.#cursor = new ResumeCursor(options.sinceSeq);
    const path = `/v1/realtime/rooms/${encodeURIComponent(id)}`;
    this.#url = core.url + path;
    this.#socket = new RealtimeSocket<RoomServerFrame, RoomHelloFrame>(
      core,
      path,
      () => this.#params(),
      {
        onHello: (hello, reconnect) => this.#onHello(hello, reconnect),
        onFrame: (frame) => this.#onFrame(frame),
        onState: (change) => {
          this.#onState(change);
          onState?.(change);
        },
      },
      options.reconnect,
    );
  }

  // ===== Joining

  /**
   * Creates the room and joins it, or joins it when it exists already (so two clients racing to
   * create it both end up in the same room). Resolves on joining.
   *
   * @example
   * await room.create({ title: "Lobby", max_participants: 4, visibility: "private", state_write: "owner" });
   *
   * @throws {FlarebaseError} (rejects) `room_full`, `room_closed`, `removed_from_room`,
   * `invalid_request` for bad room fields, or the connection's error.
   */
  create(settings: string | RoomSettings): Promise<RoomJoinedEvent> {
    const fields = typeof settings === "string" ? { title: settings } : settings;
    this.#create = {
      max_participants: null,
      visibility: "public",
      metadata: {},
      state_write: "anyone",
      ...fields,
    };
    return this.#start();
  }

  /**
   * Joins an existing room. Resolves on joining.
   *
   * @throws {FlarebaseError} (rejects) `room_not_found`, `room_full`, `room_closed`,
   * `removed_from_room`, or the connection's error.
   */
  join(): Promise<RoomJoinedEvent> {
    return this.#start();
  }

  /** Leaves the room: closes the connection for good (the others see you leave). */
  leave(): void {
    this.#socket.close();
    // A join still under way will not finish now (no-op when it already has).
    this.#joined?.reject(
      new FlarebaseError({
        status: 0,
        code: "closed",
        message: "The room was left before it was joined.",
        url: this.#url,
      }),
    );
  }

  /** The same as {@link leave}. */
  close(): void {
    this.leave();
  }

  /** Reconnects now (for example after the credentials changed), resuming where it was. */
  reconnect(): void {
    this.#socket.reconnect();
  }

  // ===== What the room holds

  /** The room as last described by the server; null before joining. */
  get room(): RoomInfo | null {
    return this.#info;
  }

  /** Who is in the room (one entry per user), kept current. */
  get participants(): Participant[] {
    return this.#participants.list;
  }

  /** The shared state as last known (read it; change it with `setState` and friends). */
  get state(): Record<string, unknown> {
    return this.#shared.state;
  }

  /** The version of {@link state}. */
  get version(): number {
    return this.#shared.version;
  }

  /** The seq of the last message delivered; null before joining. */
  get seq(): number | null {
    return this.#cursor.seq;
  }

  /** The socket's state. */
  get connectionState(): SocketState {
    return this.#socket.state;
  }

  /** Whether this user owns the room (may remove participants and close it). */
  get isOwner(): boolean {
    return this.#info?.owner_id === this.userId;
  }

  /**
   * Listens to one kind of event; returns a function that removes the listener.
   *
   * @example
   * const off = room.on("participant_joined", (p) => console.log(p.user_name, "joined"));
   */
  on<Name extends keyof RoomEvents>(event: Name, listener: Listener<RoomEvents[Name]>): Unsubscribe {
    let emitter = this.#emitters.get(event) as Emitter<RoomEvents[Name]> | undefined;
    if (!emitter) {
      emitter = new Emitter<RoomEvents[Name]>();
      this.#emitters.set(event, emitter as Emitter<unknown>);
    }
    return emitter.on(listener);
  }

  // ===== Sending

  /**
   * Sends a chat message; resolves when the room stored it.
   *
   * @throws {FlarebaseError} `invalid_frame` for empty or too long content (4000 characters),
   * `closed`, `queue_full`, or the connection's error.
   */
  async sendMessage(content: string, options: { id?: string } = {}): Promise<RoomSendResult> {
    const id = options.id ?? newMessageId();
    return sendResult(id, await this.#request({ type: "message", id, content }));
  }

  /**
   * Relays an action (`{ type, data }`) to everyone with your id; stored (with a seq, replayed
   * on resume) only with `store`.
   *
   * @example
   * await room.sendAction("move", { x: 100, y: 200 });
   */
  async sendAction(
    type: string,
    data?: unknown,
    options: { store?: boolean; id?: string } = {},
  ): Promise<RoomSendResult> {
    const id = options.id ?? newMessageId();
    return sendResult(id, await this.#request({ type: "action", id, action: type, data, store: options.store }));
  }

  /**
   * Applies operations to the shared state, in order, as one new version (all or none). Resolves
   * with the version they made; the delta has reached `state` by then.
   *
   * @throws {FlarebaseError} `forbidden` when only the owner may write, `invalid_state_operation`
   * (a bad path, an increment of a non-number), `state_too_large`.
   */
  async updateState(ops: StateOp[]): Promise<StateUpdateResult> {
    for (const op of ops) parsePath(op.path);
    const id = newMessageId();
    const reply = await this.#request({ type: "state_update", id, ops });
    return { id, version: reply.type === "ack" ? (reply.version ?? 0) : 0, duplicate: replyDuplicate(reply) };
  }

  /** Puts `value` at a dotted `path` (`players.p1.position`). */
  setState(path: string, value: unknown): Promise<StateUpdateResult> {
    // `undefined` is not JSON: the room answers `invalid_frame` for it.
    return this.updateState([{ op: "set", path, value } as StateOp]);
  }

  /** Removes what is at `path`. */
  deleteState(path: string): Promise<StateUpdateResult> {
    return this.updateState([{ op: "delete", path }]);
  }

  /** Adds `by` (default 1) to the number at `path` (a missing value counts as 0). */
  increment(path: string, by = 1): Promise<StateUpdateResult> {
    return this.updateState([{ op: "increment", path, by }]);
  }

  /** Fetches the whole state from the room (and replaces the local copy). */
  async requestState(): Promise<RoomStateSnapshot> {
    const reply = await this.#request({ type: "state_get" });
    if (reply.type !== "state") throw new TypeError(`Unexpected ${reply.type} reply to state_get.`);
    this.#replaceState(reply.state, reply.version);
    return { state: this.#shared.state, version: this.#shared.version };
  }

  /**
   * Reads stored messages and actions, newest first, older than `beforeSeq` (the latest when omitted).
   */
  async history(
    options: { beforeSeq?: number; limit?: number } = {},
  ): Promise<{ items: RoomItem[]; has_more: boolean; next_before_seq: number | null }> {
    const reply = await this.#request({ type: "history", before_seq: options.beforeSeq, limit: options.limit });
    if (reply.type !== "history_page") throw new TypeError(`Unexpected ${reply.type} reply to history.`);
    return { items: reply.items, has_more: reply.has_more, next_before_seq: reply.next_before_seq };
  }

  /**
   * Owner only: removes a participant (every connection of theirs); they cannot join again.
   * Resolves with who was removed and whether they were in the room at that moment.
   *
   * @throws {FlarebaseError} `forbidden` for anyone but the owner, `invalid_request` for the owner.
   */
  async remove(userId: string, reason?: string): Promise<RoomRemoveResult> {
    const reply = await this.#request({ type: "remove", user_id: userId, reason });
    if (reply.type !== "ack") throw new TypeError(`Unexpected ${reply.type} reply to remove.`);
    return { user_id: reply.user_id ?? userId, present: reply.present ?? false };
  }

  /**
   * Owner only: closes the room for everyone (they all receive `closed`, this client too).
   *
   * @throws {FlarebaseError} `forbidden` for anyone but the owner.
   */
  async closeRoom(reason?: string): Promise<void> {
    await this.#request({ type: "close_room", reason });
  }

  // ===== Internals

  #start(): Promise<RoomJoinedEvent> {
    if (!this.#joined) {
      let settle = { resolve: (_event: RoomJoinedEvent) => {}, reject: (_error: unknown) => {} };
      const promise = new Promise<RoomJoinedEvent>((resolve, reject) => {
        settle = { resolve, reject };
      });
      // Code written for the Cocobase SDK's RoomChat calls `room.join()` without awaiting: a
      // failure is still reported through `on("error")`, so the promise must not also count as an
      // unhandled rejection.
      promise.catch(() => {});
      this.#joined = { promise, ...settle };
      this.#socket.open();
    }
    return this.#joined.promise;
  }

  #request(frame: Record<string, unknown>): Promise<RoomReply> {
    return this.#socket.request(frame) as Promise<RoomReply>;
  }

  #params(): Record<string, string | number | null | undefined> {
    const create = this.#create;
    const { userMetadata, history } = this.options;
    return {
      client_id: this.userId,
      user_name: this.userName,
      user_metadata: userMetadata ? JSON.stringify(userMetadata) : undefined,
      history,
      // A reconnect sends `create` again: on an existing room it is a join, so it is harmless.
      mode: create ? "create" : "join",
      ...(create
        ? {
            title: create.title,
            max_participants: create.max_participants,
            visibility: create.visibility,
            metadata: JSON.stringify(create.metadata),
            state_write: create.state_write,
          }
        : {}),
      ...this.#cursor.params(),
    };
  }

  #onHello(hello: RoomHelloFrame, reconnect: boolean): void {
    this.#info = hello.room;
    const gap = this.#cursor.onHello(hello);
    const changes = this.#participants.sync(hello.participants, !reconnect);
    this.#shared.replace(hello.state, hello.version, true);
    const joined: RoomJoinedEvent = {
      room_id: hello.room.id,
      room_title: hello.room.title,
      room: hello.room,
      created: hello.created,
      rejoined: reconnect,
      participant: hello.participant,
      participants: hello.participants,
      state: this.#shared.state,
      version: this.#shared.version,
      seq: hello.seq,
    };
    this.#emit("joined", joined);
    this.#emit("state", { state: this.#shared.state, version: this.#shared.version });
    for (const change of changes) this.#emit(`participant_${change.action}`, change.participant);
    if (gap) this.#emit("gap", gap);
    // Recent history (first join only): all at or before the cursor, delivered before anything newer.
    for (const item of hello.history) this.#emitItem(item);
    this.#joined?.resolve(joined);
  }

  #onFrame(frame: RoomServerFrame): void {
    switch (frame.type) {
      case "messages":
        for (const item of frame.items) if (this.#cursor.accept(item.seq)) this.#emitItem(item);
        break;
      case "participant": {
        const change = this.#participants.apply(frame);
        this.#emit(`participant_${change.action}`, change.participant);
        break;
      }
      case "delta":
        this.#onDelta(frame);
        break;
      case "error":
        this.#onErrorFrame(frame);
        break;
    }
  }

  #onDelta(frame: DeltaFrame): void {
    const outcome = this.#shared.apply(frame);
    if (outcome === "applied") {
      const { from_version, to_version, user_id, changes } = frame;
      this.#emit("delta", { from_version, to_version, user_id, changes });
    } else if (outcome === "gap" && !this.#syncing) {
      // A delta was missed: take the whole state again rather than guess.
      this.#syncing = this.requestState().finally(() => {
        this.#syncing = null;
      });
      this.#syncing.catch(() => {});
    }
  }

  /** Connection-level errors: closing and removal are announced before the socket closes. */
  #onErrorFrame(frame: ErrorFrame): void {
    const details = (frame.details ?? {}) as { closed_by?: string; removed_by?: string; reason?: string | null };
    if (frame.code === "room_closed") {
      this.#emit("closed", { closed_by: details.closed_by ?? null, reason: details.reason ?? null });
    } else if (frame.code === "removed_from_room") {
      this.#emit("removed", { removed_by: details.removed_by ?? null, reason: details.reason ?? null });
    }
  }

  #onState(change: SocketStateChange): void {
    this.#emit("connection", change);
    if (change.state !== "failed" && change.state !== "closed") return;
    if (change.error) {
      this.#joined?.reject(change.error);
      if (
        change.state === "failed" &&
        change.error.code !== "room_closed" &&
        change.error.code !== "removed_from_room"
      ) {
        this.#emit("error", change.error);
      }
    }
  }

  #replaceState(state: Record<string, unknown>, version: number): void {
    if (this.#shared.replace(state, version)) this.#emit("state", { state, version });
  }

  #emitItem(item: RoomItem): void {
    if (item.kind === "message") this.#emit("message", item);
    else this.#emit("action", item);
  }

  #emit<Name extends keyof RoomEvents>(event: Name, value: RoomEvents[Name]): void {
    (this.#emitters.get(event) as Emitter<RoomEvents[Name]> | undefined)?.emit(value);
  }
}

function sendResult(id: string, reply: RoomReply): RoomSendResult {
  const ack = reply.type === "ack" ? reply : null;
  return { id, seq: ack?.seq ?? null, timestamp: ack?.timestamp ?? Date.now(), duplicate: replyDuplicate(reply) };
}

function replyDuplicate(reply: RoomReply): boolean {
  return reply.type === "ack" && reply.duplicate === true;
}

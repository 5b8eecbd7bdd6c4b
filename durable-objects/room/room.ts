import { ApiError } from "../../core/errors";
import { describeIssues } from "../../core/issues";
import type { ConnectParams } from "../../core/protocol/connect-params";
import {
  type ActionMessage,
  type ChatMessage,
  type Participant,
  ROOM_CLIENT_FRAME_TYPES,
  type RoomActionFrame,
  RoomClientFrame,
  type RoomCreateOptions,
  type RoomItem,
  RoomJoin,
  type RoomMessageFrame,
  type StateUpdateFrame,
} from "../../core/protocol/room";
import type { Attachment, PresenceState } from "../hub/attachment";
import { errorFrameOf, messagesFrames } from "../hub/frames";
import { type BaseClientFrame, type ReplyAndThen, randomId, SocketHub } from "../hub/socket-hub";
import { DedupWindow } from "../log/dedup";
import { historyReply } from "../log/history";
import { MessageLog, serializeMessage } from "../log/message-log";
import { PresenceSet } from "../log/presence";
import { DEFAULT_ROOM_CONFIG, RoomConfig, RoomConfigPatch } from "./room-config";
import { deltaFrame, participantFrame, roomAckFrame, roomHelloFrame, stateFrame } from "./room-frames";
import { RoomLifecycle } from "./room-lifecycle";
import { type Lifecycle, RoomRecord, readStored, roomInfo } from "./room-record";
import { RoomState } from "./room-state";

/** What a room keeps in its SQLite storage besides `hub_meta`; reopened after the storage is deleted. */
interface Stores {
  log: MessageLog<RoomItem>;
  /** Exactly-once state updates (the dedup table, with keys of their own). */
  updates: DedupWindow;
  state: RoomState;
}

/** What `info()` reports (diagnostics and tests). */
export interface RoomSnapshot {
  room: RoomRecord | null;
  participants: Participant[];
  connections: number;
  seq: number;
  version: number;
  state: string;
  lifecycle: Lifecycle;
  listed: boolean;
  settings: RoomConfig;
}

/**
 * One room of one project: the object named `<project id>:<room id>`. Chat with a stored, resumable
 * sequence (the channels' {@link MessageLog}), participants as presence (one per user id, however
 * many tabs), a shared JSON state with versioned deltas ({@link RoomState}), relayed actions and
 * moderation by the owner.
 *
 * A connection is a participant: it joins (or creates the room) when it connects, with what the
 * Worker verified and validated (`ConnectParams.extra` is a {@link RoomJoin}), and is turned away
 * with a typed error and a close code when it cannot (`room_not_found`, `room_full`,
 * `room_closed`, `removed_from_room`). So every fan-out reaches participants only.
 *
 * Its directory row, idle expiry and deletion are its {@link RoomLifecycle}, run by alarms only:
 * nothing runs while it is idle. See docs/rooms.md.
 */
export class RoomObject extends SocketHub {
  protected readonly frameSchema = RoomClientFrame;
  protected readonly frameTypes: ReadonlySet<string> = new Set(ROOM_CLIENT_FRAME_TYPES);

  readonly #presence: PresenceSet;
  #stores: Stores;
  #record: RoomRecord | null;
  #epoch: string | null;
  #settings: RoomConfig;
  #life: RoomLifecycle;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#presence = new PresenceSet({
      sockets: () => this.sockets(),
      attachment: (ws) => this.attachment(ws),
      setAttachment: (ws, attachment) => this.setAttachment(ws, attachment),
      broadcast: (frame) => this.broadcast(frame),
      eventFrame: participantFrame,
    });
    this.#stores = this.#openStores();
    this.#record = readStored(RoomRecord, this.meta("room"));
    this.#epoch = this.meta("epoch");
    this.#settings = { ...DEFAULT_ROOM_CONFIG, ...readStored(RoomConfigPatch, this.meta("room_settings")) };
    this.#life = this.#newLifecycle();
    this.#life.noticeVanishedParticipants();
  }

  // ===== RPC (diagnostics, operators and tests)

  /** Overrides some of this room's settings (kept in its storage) and returns those now in force. */
  configureRoom(patch: RoomConfigPatch): RoomConfig {
    const stored = { ...readStored(RoomConfigPatch, this.meta("room_settings")), ...RoomConfigPatch.parse(patch) };
    this.#settings = RoomConfig.parse({ ...DEFAULT_ROOM_CONFIG, ...stored });
    this.setMeta("room_settings", JSON.stringify(stored));
    this.#life.schedule();
    return this.#settings;
  }

  /** Where the room stands: its record, participants, sequence, state and life cycle. */
  info(): RoomSnapshot {
    return {
      room: this.#record,
      participants: this.#participants(),
      connections: this.connectionCount,
      seq: this.#stores.log.head,
      version: this.#stores.state.version,
      state: this.#stores.state.json,
      lifecycle: this.#life.state,
      listed: this.#life.listed(),
      settings: this.#settings,
    };
  }

  /** Resolves once the directory writes asked for so far have been attempted. */
  directorySettled(): Promise<void> {
    return this.#life.settled();
  }

  // ===== Life cycle

  override async alarm(): Promise<void> {
    if ((await this.#life.alarm(Date.now())) === "purge") await this.#purge();
  }

  /** Deletes everything the room stores: its id is free again. */
  async #purge(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.deleteStorage();
    this.#stores = this.#openStores();
    this.#record = null;
    this.#epoch = null;
    this.#settings = { ...DEFAULT_ROOM_CONFIG };
    this.#life = this.#newLifecycle();
  }

  #newLifecycle(): RoomLifecycle {
    return new RoomLifecycle({
      storage: this.ctx.storage,
      db: this.env.DB,
      record: () => this.#record,
      participantCount: () => this.#presence.size,
      settings: () => this.#settings,
      meta: (key) => this.meta(key),
      setMeta: (key, value) => this.setMeta(key, value),
    });
  }

  // ===== Socket hub hooks

  protected onConnect(ws: WebSocket, attachment: Attachment, params: ConnectParams): string[] {
    const parsed = RoomJoin.safeParse(params.extra);
    if (!parsed.success) {
      throw new ApiError("invalid_request", "Invalid join parameters.", { issues: describeIssues(parsed.error) });
    }
    const join = parsed.data;
    const now = Date.now();
    let created = false;
    if (!this.#record) {
      if (!join.create) {
        throw new ApiError("room_not_found", `There is no room "${params.name}"; create it first.`, {
          room_id: params.name,
        });
      }
      this.#create(params, join.create, attachment.client, now);
      created = true;
    }
    const record = this.#record as RoomRecord;
    this.#admit(record, attachment.client);

    const since = this.#presence.timestampOf(attachment.client);
    const data = JSON.stringify({ user_name: join.user_name, metadata: join.user_metadata });
    // A second tab of a present user keeps the participant's joined_at.
    if (this.#presence.set(ws, attachment, data, since ?? now) === "enter") this.#life.participantsChanged(now);

    const epoch = this.#epoch as string;
    const { resume, replay } = this.#stores.log.resume(params.since_seq, params.epoch, epoch);
    const history =
      resume === null ? this.#stores.log.before(null, join.history ?? this.#settings.history_on_join).items : [];
    const participants = this.#participants();
    const participant = participants.find((participant) => participant.user_id === attachment.client);
    if (!participant) throw new Error("Room: a joined connection is not among the participants.");
    // History and state are stored serialized: spliced in, not parsed and serialized again.
    const hello = roomHelloFrame(
      {
        connection_id: attachment.cid,
        client_id: attachment.client,
        user_id: attachment.user,
        room: roomInfo(record),
        created,
        participant,
        participants,
        epoch,
        seq: this.#stores.log.head,
        resume,
        version: this.#stores.state.version,
        limits: this.connectionLimits(attachment),
      },
      history.reverse(),
      this.#stores.state.json,
    );
    return [hello, ...messagesFrames(replay, this.limits.coalesce_max_items, this.limits.coalesce_max_bytes)];
  }

  protected onFrame(ws: WebSocket, attachment: Attachment, frame: BaseClientFrame): string | ReplyAndThen {
    const request = frame as RoomClientFrame;
    switch (request.type) {
      case "message":
        return this.#onMessage(attachment, request);
      case "action":
        return this.#onAction(attachment, request);
      case "state_update":
        return this.#onStateUpdate(attachment, request);
      case "state_get":
        return stateFrame(request.ref, this.#stores.state.json, this.#stores.state.version);
      case "history":
        return historyReply(this.#stores.log, request);
      case "remove":
        return this.#onRemove(ws, attachment, request.ref, request.user_id, request.reason ?? null);
      case "close_room":
        return this.#onClose(attachment, request.ref, request.reason ?? null);
      default:
        throw new ApiError("unknown_type", `Unknown frame type ${JSON.stringify(request.type)}.`);
    }
  }

  protected override onDisconnect(ws: WebSocket, attachment: Attachment): void {
    const now = Date.now();
    if (this.#presence.drop(ws, attachment, now)) this.#life.participantsChanged(now);
  }

  // ===== Joining

  #create(params: ConnectParams, options: RoomCreateOptions, ownerId: string, now: number): void {
    const record: RoomRecord = {
      id: params.name,
      project_id: params.project_id,
      title: options.title,
      owner_id: ownerId,
      max_participants: options.max_participants ?? this.#settings.default_max_participants,
      visibility: options.visibility,
      metadata: options.metadata,
      state_write: options.state_write,
      created_at: now,
      closed_at: null,
      closed_by: null,
      close_reason: null,
    };
    this.#epoch = randomId().slice(0, 12);
    this.setMeta("epoch", this.#epoch);
    this.setMeta("room", JSON.stringify(record));
    this.#record = record;
  }

  /** Turns the client away when the room is closed, it was removed, or the room is full. */
  #admit(record: RoomRecord, clientId: string): void {
    if (record.closed_at !== null) {
      throw new ApiError("room_closed", `The room "${record.id}" was closed.`, {
        closed_by: record.closed_by,
        reason: record.close_reason,
      });
    }
    const removed = this.sql.exec("SELECT 1 FROM room_removed WHERE user_id = ?", clientId).toArray().length > 0;
    if (removed) {
      throw new ApiError("removed_from_room", "The room's owner removed you from this room.");
    }
    if (this.#presence.timestampOf(clientId) === null && this.#presence.size >= record.max_participants) {
      throw new ApiError("room_full", `The room is full (${record.max_participants} participants).`, {
        max_participants: record.max_participants,
      });
    }
  }

  // ===== Frames

  #onMessage(attachment: Attachment, frame: RoomMessageFrame): string {
    const result = this.#store(attachment, frame.id, (seq, timestamp) => ({
      kind: "message",
      id: frame.id,
      seq,
      user_id: attachment.client,
      user_name: userName(attachment),
      content: frame.content,
      timestamp,
    }));
    return roomAckFrame(frame.ref, { id: frame.id, ...result });
  }

  #onAction(attachment: Attachment, frame: RoomActionFrame): string {
    const build = (seq: number | null, timestamp: number): ActionMessage => ({
      kind: "action",
      id: frame.id,
      seq,
      user_id: attachment.client,
      user_name: userName(attachment),
      action: frame.action,
      data: frame.data ?? null,
      timestamp,
      ...(seq === null ? { ephemeral: true as const } : {}),
    });
    if (frame.store === true) {
      const result = this.#store(attachment, frame.id, build);
      return roomAckFrame(frame.ref, { id: frame.id, ...result });
    }
    const timestamp = Date.now();
    this.enqueue(serializeMessage<RoomItem>(build(null, timestamp), this.limits.max_frame_bytes));
    this.#life.activity(timestamp);
    return roomAckFrame(frame.ref, { id: frame.id, seq: null, timestamp, duplicate: false });
  }

  /** Stores a message or action with the next seq (exactly once per client and id) and queues it. */
  #store(
    attachment: Attachment,
    id: string,
    build: (seq: number, timestamp: number) => ChatMessage | ActionMessage,
  ): { seq: number; timestamp: number; duplicate: boolean } {
    const now = Date.now();
    const stored = this.#stores.log.append(DedupWindow.key(attachment.client, id), now, (seq) =>
      serializeMessage<RoomItem>(build(seq, now), this.limits.max_frame_bytes),
    );
    if (stored.json === null) return { seq: stored.seq, timestamp: stored.timestamp, duplicate: true };
    this.enqueue(stored.json);
    this.#life.activity(now);
    return { seq: stored.seq, timestamp: now, duplicate: false };
  }

  #onStateUpdate(attachment: Attachment, frame: StateUpdateFrame): string {
    const record = this.#record as RoomRecord;
    if (record.state_write === "owner" && !isModerator(record, attachment)) {
      throw new ApiError("forbidden", "Only the room's owner may change its state.", { state_write: "owner" });
    }
    const now = Date.now();
    // Not a message id: its own key space, so a message and an update may share an id.
    const key = `${DedupWindow.key(attachment.client, frame.id)}\nstate`;
    const { updates, state } = this.#stores;
    // One transaction: a failing operation rolls back the dedup claim with it.
    const outcome = this.ctx.storage.transactionSync(() => {
      const original = updates.claim(key, state.version + 1, now);
      if (original) return { version: original.seq, applied: null };
      const applied = state.apply(frame.ops, this.#settings.max_state_bytes);
      return { version: applied.to, applied };
    });
    updates.trim(this.limits.dedup_window_ms, now);
    if (outcome.applied) {
      const { from, to, changes } = outcome.applied;
      this.broadcast(deltaFrame({ from_version: from, to_version: to, user_id: attachment.client, changes }));
      this.#life.activity(now);
    }
    return roomAckFrame(frame.ref, { id: frame.id, version: outcome.version, duplicate: outcome.applied === null });
  }

  /** Removes a participant: every connection of theirs is closed, and they may not join again. */
  #onRemove(ws: WebSocket, attachment: Attachment, ref: number, userId: string, reason: string | null): ReplyAndThen {
    const record = this.#record as RoomRecord;
    requireModerator(record, attachment, "remove participants");
    if (userId === record.owner_id || userId === attachment.client) {
      throw new ApiError("invalid_request", "The owner cannot be removed; close the room instead.");
    }
    const present = this.#presence.timestampOf(userId) !== null;
    this.sql.exec(
      "INSERT INTO room_removed (user_id, at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
      userId,
      Date.now(),
    );
    const targets = [...this.sockets()].filter((socket) => socket !== ws && this.attachment(socket)?.client === userId);
    return {
      reply: roomAckFrame(ref, { user_id: userId, present }),
      after: () => {
        const removed = new ApiError("removed_from_room", "The room's owner removed you from this room.", {
          removed_by: attachment.client,
          reason,
        });
        for (const target of targets) this.closeWithError(target, removed);
      },
    };
  }

  /** Closes the room for everyone: it leaves the directory and is deleted after its retention. */
  #onClose(attachment: Attachment, ref: number, reason: string | null): ReplyAndThen {
    const record = this.#record as RoomRecord;
    requireModerator(record, attachment, "close the room");
    const now = Date.now();
    const closed: RoomRecord = { ...record, closed_at: now, closed_by: attachment.client, close_reason: reason };
    this.setMeta("room", JSON.stringify(closed));
    this.#record = closed;
    this.#life.writeDirectory(now);
    this.#life.schedule();
    return {
      reply: roomAckFrame(ref),
      after: () => {
        const closing = new ApiError("room_closed", `The room "${record.id}" was closed.`, {
          closed_by: attachment.client,
          reason,
        });
        // Everyone hears why first, then every connection closes.
        const frame = errorFrameOf(null, closing);
        const sockets = [...this.sockets()];
        for (const socket of sockets) this.sendTo(socket, frame);
        for (const socket of sockets) this.closeSocket(socket, closing.closeCode, closing.code);
      },
    };
  }

  // ===== Participants and storage

  #participants(): Participant[] {
    return this.#presence.members().map((member) => {
      const data = member.data as { user_name: string; metadata: Record<string, unknown> };
      return {
        user_id: member.client_id,
        user_name: data.user_name,
        metadata: data.metadata,
        joined_at: member.timestamp,
      };
    });
  }

  #openStores(): Stores {
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS room_removed (user_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID",
    );
    return {
      log: new MessageLog(this.sql, () => this.limits),
      updates: new DedupWindow(this.sql),
      state: new RoomState(this.sql),
    };
  }
}

/** The owner, and secret-key connections (the app's servers), may moderate. */
function isModerator(record: RoomRecord, attachment: Attachment): boolean {
  return attachment.kind === "secret" || attachment.client === record.owner_id;
}

function requireModerator(record: RoomRecord, attachment: Attachment, what: string): void {
  if (!isModerator(record, attachment)) {
    throw new ApiError("forbidden", `Only the room's owner may ${what}.`, { owner_id: record.owner_id });
  }
}

/**
 * Names read from presence data, so a chatty connection parses its data once, not per message.
 * Presence replaces a connection's `PresenceState` whenever it changes and never mutates one, so a
 * cached name cannot go stale, and it goes away with the state it was read from.
 */
const namesByPresence = new WeakMap<PresenceState, string>();

/** The name a connection joined with (its presence data). */
function userName(attachment: Attachment): string {
  const presence = attachment.pres;
  if (!presence) return attachment.client;
  let name = namesByPresence.get(presence);
  if (name === undefined) {
    const data = JSON.parse(presence.d) as { user_name?: unknown };
    name = typeof data.user_name === "string" ? data.user_name : attachment.client;
    namesByPresence.set(presence, name);
  }
  return name;
}

/**
 * The room protocol: what a client sends to a room and what a room sends back, as zod schemas.
 * It shares the envelope, the heartbeat, `ref`s, errors, resume and history pages with channels
 * (channel.ts); this file adds only what is a room's. The SDK imports its types with
 * `import type`. Described for people in docs/rooms.md.
 *
 * @module
 */
import { z } from "zod";
import {
  AckFrame,
  ConnectionLimits,
  ErrorFrame,
  envelope,
  HistoryFrame,
  MessageIdSchema,
  PingFrame,
  PongFrame,
  Ref,
  ResumeResult,
} from "./channel.js";
import { USER_ID_PATTERN } from "./identifiers.js";
import { MAX_PATH_LENGTH } from "./room-paths.js";

/** Largest participant count a room may be created with. */
export const MAX_PARTICIPANTS_LIMIT = 10_000;
/** Longest chat message, in characters. */
export const MAX_MESSAGE_LENGTH = 4000;
/** Operations in one `state_update`. */
export const MAX_OPS_PER_UPDATE = 100;
/** Largest room `metadata`, serialized (it is stored with the room and listed in the directory). */
export const MAX_ROOM_METADATA_BYTES = 4096;
/** Longest participant name, in UTF-16 units. */
export const MAX_USER_NAME_LENGTH = 100;
/** Largest participant `metadata`, serialized (it lives in each socket's attachment). */
export const MAX_USER_METADATA_BYTES = 1024;

/** A JSON object of at most `maxBytes` characters when serialized. */
function jsonObject(maxBytes: number) {
  return z
    .record(z.string(), z.unknown())
    .refine((value) => JSON.stringify(value).length <= maxBytes, `must be at most ${maxBytes} bytes as JSON`);
}

// ===== Joining (what the Worker hands the room with the connection, in ConnectParams.extra)

/** The room a `create` makes when it does not exist yet (ignored when it does: the caller joins). */
export const RoomCreateOptions = z.object({
  title: z.string().trim().min(1).max(200),
  /** Participants at most (a user with several connections counts once); the room's default when absent. */
  max_participants: z.number().int().min(1).max(MAX_PARTICIPANTS_LIMIT).nullable(),
  /** Public rooms are listed by `GET /v1/rooms`; private ones are reachable only by their id. */
  visibility: z.enum(["public", "private"]),
  metadata: jsonObject(MAX_ROOM_METADATA_BYTES),
  /** Who may change the shared state: any participant, or only the owner (and secret-key servers). */
  state_write: z.enum(["anyone", "owner"]),
});
export type RoomCreateOptions = z.infer<typeof RoomCreateOptions>;

/** Who joins and how. `create` null is a plain join (a missing room is `room_not_found`). */
export const RoomJoin = z.object({
  user_name: z.string().trim().min(1).max(MAX_USER_NAME_LENGTH),
  user_metadata: jsonObject(MAX_USER_METADATA_BYTES),
  /** Recent messages to receive on join (when not resuming); the room's default when null. */
  history: z.number().int().min(0).max(500).nullable(),
  create: RoomCreateOptions.nullable(),
});
export type RoomJoin = z.infer<typeof RoomJoin>;

// ===== Client -> room frames

/** A chat message. `id` is client-assigned for exactly-once, as on channels. */
export const RoomMessageFrame = z.object({
  ...envelope,
  type: z.literal("message"),
  ref: Ref,
  id: MessageIdSchema,
  content: z.string().min(1).max(MAX_MESSAGE_LENGTH),
});

/** An action (`{ type, data }` in the app's words), relayed to everyone; stored only with `store`. */
export const RoomActionFrame = z.object({
  ...envelope,
  type: z.literal("action"),
  ref: Ref,
  id: MessageIdSchema,
  /** The action's type, e.g. "move". */
  action: z.string().min(1).max(128),
  data: z.unknown().optional(),
  store: z.boolean().optional(),
});

const StatePath = z.string().min(1).max(MAX_PATH_LENGTH);

/** One operation on the shared state, at a dotted path (see room-paths.ts). */
export const StateOp = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("set"),
    path: StatePath,
    value: z.unknown().refine((value) => value !== undefined, "set needs a value"),
  }),
  z.object({ op: z.literal("delete"), path: StatePath }),
  z.object({ op: z.literal("increment"), path: StatePath, by: z.number().finite().optional() }),
]);
export type StateOp = z.infer<typeof StateOp>;

/**
 * Operations applied together, in order, as one new version (all or none). `id` is
 * client-assigned: a resend is acknowledged with the version it made, and not applied twice.
 */
export const StateUpdateFrame = z.object({
  ...envelope,
  type: z.literal("state_update"),
  ref: Ref,
  id: MessageIdSchema,
  ops: z.array(StateOp).min(1).max(MAX_OPS_PER_UPDATE),
});

/** Ask for the whole state (answered with `state`). */
export const StateGetFrame = z.object({ ...envelope, type: z.literal("state_get"), ref: Ref });

/** Owner only: remove a participant (every connection of theirs); they cannot come back. */
export const RemoveFrame = z.object({
  ...envelope,
  type: z.literal("remove"),
  ref: Ref,
  user_id: z.string().regex(USER_ID_PATTERN),
  reason: z.string().max(200).optional(),
});

/** Owner only: close the room for everyone. */
export const CloseRoomFrame = z.object({
  ...envelope,
  type: z.literal("close_room"),
  ref: Ref,
  reason: z.string().max(200).optional(),
});

/** Every frame a client may send to a room. */
export const RoomClientFrame = z.discriminatedUnion("type", [
  PingFrame,
  RoomMessageFrame,
  RoomActionFrame,
  StateUpdateFrame,
  StateGetFrame,
  HistoryFrame,
  RemoveFrame,
  CloseRoomFrame,
]);
export type RoomClientFrame = z.infer<typeof RoomClientFrame>;
export type RoomMessageFrame = z.infer<typeof RoomMessageFrame>;
export type RoomActionFrame = z.infer<typeof RoomActionFrame>;
export type StateUpdateFrame = z.infer<typeof StateUpdateFrame>;

export const ROOM_CLIENT_FRAME_TYPES = [
  "ping",
  "message",
  "action",
  "state_update",
  "state_get",
  "history",
  "remove",
  "close_room",
] as const;

// ===== Room -> client frames

/** The room, as the hello describes it. Times are epoch ms. */
export const RoomInfo = z.object({
  id: z.string(),
  title: z.string(),
  owner_id: z.string(),
  max_participants: z.number().int(),
  visibility: z.enum(["public", "private"]),
  metadata: z.record(z.string(), z.unknown()),
  state_write: z.enum(["anyone", "owner"]),
  created_at: z.number().int(),
});
export type RoomInfo = z.infer<typeof RoomInfo>;

/**
 * A public room as the directory lists it (`GET /v1/rooms`; times are ISO-8601 UTC, as in every
 * REST resource). Here so the directory and the SDK share one definition.
 */
export interface RoomListing {
  id: string;
  title: string;
  participant_count: number;
  max_participants: number;
  metadata: Record<string, unknown>;
  created_at: string;
  last_activity_at: string;
}

/** A participant: one per user id, however many connections (tabs) the user has. */
export const Participant = z.object({
  user_id: z.string(),
  user_name: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  joined_at: z.number().int(),
});
export type Participant = z.infer<typeof Participant>;

/** A chat message, stored with the room's `seq`. */
export const ChatMessage = z.object({
  kind: z.literal("message"),
  id: z.string(),
  seq: z.number().int(),
  user_id: z.string(),
  user_name: z.string(),
  content: z.string(),
  timestamp: z.number().int(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** A relayed action: `seq` when it was stored, null (and `ephemeral`) when not. */
export const ActionMessage = z.object({
  kind: z.literal("action"),
  id: z.string(),
  seq: z.number().int().nullable(),
  user_id: z.string(),
  user_name: z.string(),
  action: z.string(),
  data: z.unknown(),
  timestamp: z.number().int(),
  ephemeral: z.literal(true).optional(),
});
export type ActionMessage = z.infer<typeof ActionMessage>;

/** What a room's `messages` frames, history and resume carry. */
export const RoomItem = z.discriminatedUnion("kind", [ChatMessage, ActionMessage]);
export type RoomItem = z.infer<typeof RoomItem>;

/** The first frame of a joined connection: the room, its people, recent messages and the state. */
export const RoomHelloFrame = z.object({
  ...envelope,
  type: z.literal("hello"),
  connection_id: z.string(),
  client_id: z.string(),
  user_id: z.string().nullable(),
  room: RoomInfo,
  /** True when this connection created the room (a `create` that found it existing joined it). */
  created: z.boolean(),
  /** You, as the others see you. */
  participant: Participant,
  participants: z.array(Participant),
  epoch: z.string(),
  /** The room's last message seq. */
  seq: z.number().int(),
  /** Without a resume: the most recent stored messages, oldest first (empty on a resume). */
  history: z.array(RoomItem),
  /** With `since_seq`: the outcome; the replayed messages follow as `messages` frames. */
  resume: ResumeResult.nullable(),
  state: z.record(z.string(), z.unknown()),
  version: z.number().int(),
  limits: ConnectionLimits,
});
export type RoomHelloFrame = z.infer<typeof RoomHelloFrame>;

/** Messages and actions, in order (live, coalesced under burst, or replayed on resume). */
export const RoomMessagesFrame = z.object({ ...envelope, type: z.literal("messages"), items: z.array(RoomItem) });
export type RoomMessagesFrame = z.infer<typeof RoomMessagesFrame>;

/** Someone joined, changed their name or metadata, or left (their last connection closed). */
export const ParticipantFrame = z.object({
  ...envelope,
  type: z.literal("participant"),
  action: z.enum(["joined", "updated", "left"]),
  participant: Participant,
});
export type ParticipantFrame = z.infer<typeof ParticipantFrame>;

/** One change of a delta: `value` is what the path holds afterwards (absent for a delete). */
export const StateChange = z.object({
  path: z.string(),
  operation: z.enum(["set", "delete", "increment"]),
  value: z.unknown().optional(),
});
export type StateChange = z.infer<typeof StateChange>;

/** The state moved from `from_version` to `to_version` (always one more) by `user_id`'s update. */
export const DeltaFrame = z.object({
  ...envelope,
  type: z.literal("delta"),
  from_version: z.number().int(),
  to_version: z.number().int(),
  user_id: z.string(),
  changes: z.array(StateChange),
});
export type DeltaFrame = z.infer<typeof DeltaFrame>;

/** The reply to `state_get`. */
export const StateFrame = z.object({
  ...envelope,
  type: z.literal("state"),
  ref: z.number().int(),
  state: z.record(z.string(), z.unknown()),
  version: z.number().int(),
});
export type StateFrame = z.infer<typeof StateFrame>;

/**
 * The success reply. For `message` and `action`: `id`, `seq` (null when ephemeral), `timestamp`,
 * `duplicate`. For `state_update`: `id`, `version` (the version it made), `duplicate`. For
 * `remove`: the removed `user_id`, and `present` (whether they were in the room). For
 * `close_room`: only `ref`.
 */
export const RoomAckFrame = AckFrame.extend({
  version: z.number().int().optional(),
  user_id: z.string().optional(),
  present: z.boolean().optional(),
});
export type RoomAckFrame = z.infer<typeof RoomAckFrame>;

/** The reply to `history`: newest first. */
export const RoomHistoryPageFrame = z.object({
  ...envelope,
  type: z.literal("history_page"),
  ref: z.number().int(),
  items: z.array(RoomItem),
  has_more: z.boolean(),
  next_before_seq: z.number().int().nullable(),
});
export type RoomHistoryPageFrame = z.infer<typeof RoomHistoryPageFrame>;

/** Every frame a room may send. */
export const RoomServerFrame = z.discriminatedUnion("type", [
  RoomHelloFrame,
  RoomMessagesFrame,
  ParticipantFrame,
  DeltaFrame,
  StateFrame,
  RoomAckFrame,
  RoomHistoryPageFrame,
  ErrorFrame,
  PongFrame,
]);
export type RoomServerFrame = z.infer<typeof RoomServerFrame>;

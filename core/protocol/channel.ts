/**
 * The realtime wire protocol: every frame a client and a realtime object exchange, as zod schemas.
 * This file is the single source of truth; docs/protocol.md describes it for people and the SDK
 * imports its types with `import type` (so zod never reaches the browser bundle).
 *
 * Frames are JSON text, one object per WebSocket message, in one versioned envelope:
 * `{ "v": 1, "type": "<frame type>", ... }`, field names in snake_case. Unknown fields are
 * stripped, so newer clients can add optional fields without breaking older servers.
 *
 * @module
 */
import { z } from "zod";
import { ERROR_CODE_NAMES } from "../errors.js";

import { PROTOCOL_VERSION } from "./envelope.js";
import { MESSAGE_ID_PATTERN } from "./identifiers.js";

/** What a connection may do on a channel. `subscribe` is needed to connect at all. */
export const CAPABILITY_OPS = ["subscribe", "publish", "presence", "history"] as const;
export type CapabilityOp = (typeof CAPABILITY_OPS)[number];

// ===== Shared pieces

/** A request id chosen by the client; the reply carries it back. Any positive safe integer. */
export const Ref = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const MessageName = z.string().min(1).max(128);
export const MessageIdSchema = z.string().regex(MESSAGE_ID_PATTERN, "ids are 1-64 characters of A-Z a-z 0-9 . _ : -");

/** The fields every frame starts with (spread into each frame schema). */
export const envelope = { v: z.literal(PROTOCOL_VERSION) };

// ===== Client -> server frames

/** Liveness check. Without `ref` it is the heartbeat (auto-answered); with `ref`, a request. */
export const PingFrame = z.object({ ...envelope, type: z.literal("ping"), ref: Ref.optional() });

/**
 * Publish a message. `id` is client-assigned and stable across resends: the server acks a
 * duplicate within its dedup window with the original `seq` and does not deliver it again.
 * `ephemeral` messages (typing, cursors) are delivered live only: no storage, no `seq`, no dedup.
 */
export const PublishFrame = z.object({
  ...envelope,
  type: z.literal("publish"),
  ref: Ref,
  id: MessageIdSchema,
  name: MessageName,
  data: z.unknown().optional(),
  ephemeral: z.boolean().optional(),
});

/** Enter, update or leave this client's presence on the channel, with optional data. */
export const PresenceFrame = z.object({
  ...envelope,
  type: z.literal("presence"),
  ref: Ref,
  action: z.enum(["enter", "update", "leave"]),
  data: z.unknown().optional(),
});

/** Ask for the current presence members (answered with `presence_snapshot`). */
export const PresenceGetFrame = z.object({ ...envelope, type: z.literal("presence_get"), ref: Ref });

/** A page of stored messages, newest first, strictly older than `before_seq` (answered with `history_page`). */
export const HistoryFrame = z.object({
  ...envelope,
  type: z.literal("history"),
  ref: Ref,
  before_seq: z.number().int().min(1).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

/** Every frame a client may send to a channel. */
export const ChannelClientFrame = z.discriminatedUnion("type", [
  PingFrame,
  PublishFrame,
  PresenceFrame,
  PresenceGetFrame,
  HistoryFrame,
]);
export type ChannelClientFrame = z.infer<typeof ChannelClientFrame>;
export type PublishFrame = z.infer<typeof PublishFrame>;
export type PresenceFrame = z.infer<typeof PresenceFrame>;
export type HistoryFrame = z.infer<typeof HistoryFrame>;

/** The frame types of {@link ChannelClientFrame}, for `unknown_type` errors. */
export const CHANNEL_CLIENT_FRAME_TYPES = ["ping", "publish", "presence", "presence_get", "history"] as const;

// ===== Server -> client frames

/**
 * A delivered message. `seq` is the channel's gap-free sequence number, or null for an ephemeral
 * message; `client_id` is the publisher's (set by the server, never by the frame); `timestamp`
 * is when the server accepted it, in epoch milliseconds.
 */
export const Message = z.object({
  id: z.string(),
  seq: z.number().int().nullable(),
  name: z.string(),
  data: z.unknown(),
  client_id: z.string(),
  timestamp: z.number().int(),
  ephemeral: z.literal(true).optional(),
});
export type Message = z.infer<typeof Message>;

/** One present client. A client id appears once, however many connections it has entered from. */
export const PresenceMember = z.object({
  client_id: z.string(),
  data: z.unknown(),
  /** When the member entered or last updated, epoch ms. */
  timestamp: z.number().int(),
});
export type PresenceMember = z.infer<typeof PresenceMember>;

/**
 * The outcome of a resume requested at connect (`since_seq`):
 * - `ok`: the `replayed` messages after `since_seq` follow the hello, in order, before live traffic;
 * - `gap`: some missed messages are gone. `reason` `too_old` means seqs `missed_from`..`missed_to`
 *   fell out of the buffer and the `replayed` messages still held follow; `reset` means the
 *   channel's history restarted (a new `epoch`, or a `since_seq` ahead of the channel) and nothing
 *   is replayed: start over from `seq`.
 */
export const ResumeResult = z.discriminatedUnion("status", [
  z.object({ status: z.literal("ok"), since_seq: z.number().int(), replayed: z.number().int() }),
  z.object({
    status: z.literal("gap"),
    reason: z.enum(["too_old", "reset"]),
    since_seq: z.number().int(),
    missed_from: z.number().int().nullable(),
    missed_to: z.number().int().nullable(),
    replayed: z.number().int(),
  }),
]);
export type ResumeResult = z.infer<typeof ResumeResult>;

/** The limits a connection works under, announced in the hello so clients can respect them. */
export const ConnectionLimits = z.object({
  max_frame_bytes: z.number().int(),
  rate_per_second: z.number(),
  rate_burst: z.number().int(),
  heartbeat_ms: z.number().int(),
});
export type ConnectionLimits = z.infer<typeof ConnectionLimits>;

/** The first frame on every accepted connection: who you are and where the channel stands. */
export const HelloFrame = z.object({
  ...envelope,
  type: z.literal("hello"),
  connection_id: z.string(),
  client_id: z.string(),
  user_id: z.string().nullable(),
  channel: z.string(),
  /** Identifies this incarnation of the channel's history; a resume across epochs is a `reset`. */
  epoch: z.string(),
  /** The channel's current (last assigned) sequence number; 0 when nothing was stored yet. */
  seq: z.number().int(),
  resume: ResumeResult.nullable(),
  presence: z.array(PresenceMember),
  capabilities: z.array(z.enum(CAPABILITY_OPS)),
  limits: ConnectionLimits,
});
export type HelloFrame = z.infer<typeof HelloFrame>;

/**
 * Messages in order: live fan-out (several coalesced under burst) and resume replay. Every
 * delivery uses this one frame type.
 */
export const MessagesFrame = z.object({ ...envelope, type: z.literal("messages"), items: z.array(Message) });
export type MessagesFrame = z.infer<typeof MessagesFrame>;

/**
 * The success reply to a request. For a publish: the message's `id`, its `seq` (null when
 * ephemeral), its `timestamp`, and `duplicate: true` when the id was already published (the
 * original `seq` and `timestamp` are returned and nothing is delivered again).
 */
export const AckFrame = z.object({
  ...envelope,
  type: z.literal("ack"),
  ref: z.number().int(),
  id: z.string().optional(),
  seq: z.number().int().nullable().optional(),
  timestamp: z.number().int().optional(),
  duplicate: z.boolean().optional(),
});
export type AckFrame = z.infer<typeof AckFrame>;

/**
 * A typed error. `ref` is the request it answers, or null when it answers no request (a frame
 * whose `ref` could not be read, or a connection-level error before a close).
 */
export const ErrorFrame = z.object({
  ...envelope,
  type: z.literal("error"),
  ref: z.number().int().nullable(),
  /** One of the error codes of core/errors.ts (the same list as REST's). */
  code: z.enum(ERROR_CODE_NAMES),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorFrame = z.infer<typeof ErrorFrame>;

/** A presence change, sent to every connection (the acting one included). */
export const PresenceEventFrame = z.object({
  ...envelope,
  type: z.literal("presence"),
  action: z.enum(["enter", "update", "leave"]),
  member: PresenceMember,
});
export type PresenceEventFrame = z.infer<typeof PresenceEventFrame>;

/** The reply to `presence_get`. */
export const PresenceSnapshotFrame = z.object({
  ...envelope,
  type: z.literal("presence_snapshot"),
  ref: z.number().int(),
  members: z.array(PresenceMember),
});
export type PresenceSnapshotFrame = z.infer<typeof PresenceSnapshotFrame>;

/** The reply to `history`: newest first; ask again with `before_seq: next_before_seq` while `has_more`. */
export const HistoryPageFrame = z.object({
  ...envelope,
  type: z.literal("history_page"),
  ref: z.number().int(),
  items: z.array(Message),
  has_more: z.boolean(),
  next_before_seq: z.number().int().nullable(),
});
export type HistoryPageFrame = z.infer<typeof HistoryPageFrame>;

/** The reply to a ping with a `ref` (the heartbeat's reply is the constant {@link HEARTBEAT_PONG}). */
export const PongFrame = z.object({ ...envelope, type: z.literal("pong"), ref: z.number().int().optional() });
export type PongFrame = z.infer<typeof PongFrame>;

/** Every frame a channel may send. */
export const ChannelServerFrame = z.discriminatedUnion("type", [
  HelloFrame,
  MessagesFrame,
  AckFrame,
  ErrorFrame,
  PresenceEventFrame,
  PresenceSnapshotFrame,
  HistoryPageFrame,
  PongFrame,
]);
export type ChannelServerFrame = z.infer<typeof ChannelServerFrame>;

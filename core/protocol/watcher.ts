/**
 * The wire protocol of collection watchers (`GET /v1/realtime/collections/:collection`): the
 * frames a watching client and the watcher object exchange, as zod schemas, in the envelope of
 * protocol.ts (same `v`, heartbeat, `ping`/`pong`, `error` frame and error codes). The SDK imports
 * the types with `import type`; docs/live-queries.md describes the frames for people.
 *
 * A watcher connection is one subscription: the filter is fixed at connect. It receives `changes`
 * (every change it may see, each with the collection's sequence number), can ask for a `snapshot`
 * of the matching documents at a sequence S (then receives every change after S), and resumes
 * after a reconnect from the last sequence it holds.
 *
 * @module
 */
import { z } from "zod";
import { MAX_FILTER_LENGTH } from "../query/ast.js";
import { ConnectionLimits, ErrorFrame, envelope, PingFrame, PongFrame, Ref } from "./channel.js";

/** Documents a snapshot returns when the request says nothing. */
export const DEFAULT_SNAPSHOT_LIMIT = 1000;
/** Most documents one snapshot may return; a bigger result is cut (`truncated: true`). */
export const MAX_SNAPSHOT_LIMIT = 10_000;

/**
 * What a change is to one subscriber, who sees a document when it matches the subscriber's filter
 * and the collection's rules allow the subscriber to read it:
 * - `create`: a new document it sees; `update`: a document it saw and still sees (with `old_data`);
 * - `delete`: a document it saw was deleted (`old_data` is the last version it saw);
 * - `enter`: an update made a document visible to it (only `data`);
 * - `leave`: an update made a document it saw invisible to it (only `old_data`, the last version
 *   it saw: it may not be allowed to read the new one).
 */
export const WATCH_EVENTS = ["create", "update", "delete", "enter", "leave"] as const;
export type WatchEventType = (typeof WATCH_EVENTS)[number];

const Data = z.record(z.string(), z.unknown());

// ===== Client -> server frames

/**
 * Ask for the documents that match now (at most `limit`, default {@link DEFAULT_SNAPSHOT_LIMIT}):
 * answered by `snapshot` frames, then the reply `snapshot_end` with the sequence S it was taken at;
 * every `changes` frame after it holds only changes after S. Changes sent before the request are
 * superseded by the snapshot.
 */
export const SnapshotRequestFrame = z.object({
  ...envelope,
  type: z.literal("snapshot"),
  ref: Ref,
  limit: z.number().int().min(1).max(MAX_SNAPSHOT_LIMIT).optional(),
});
export type SnapshotRequestFrame = z.infer<typeof SnapshotRequestFrame>;

/**
 * Ask to be brought up to date: the watcher reads the change feed to its end, sends this connection
 * every change it may see, then replies `synced` with the sequence it now stands at. Everything
 * committed before the request is reflected once the reply arrives.
 */
export const SyncFrame = z.object({ ...envelope, type: z.literal("sync"), ref: Ref });

/** Every frame a client may send to a collection watcher. */
export const WatcherClientFrame = z.discriminatedUnion("type", [PingFrame, SnapshotRequestFrame, SyncFrame]);
export type WatcherClientFrame = z.infer<typeof WatcherClientFrame>;

/** The frame types of {@link WatcherClientFrame}, for `unknown_type` errors. */
export const WATCHER_CLIENT_FRAME_TYPES = ["ping", "snapshot", "sync"] as const;

// ===== Server -> client frames

/** A document as a watcher sends it: its id and data. */
export const WatchedDocument = z.object({ id: z.string(), data: Data });
export type WatchedDocument = z.infer<typeof WatchedDocument>;

/** One change as one subscriber sees it (see {@link WATCH_EVENTS}). */
export const WatchEvent = z.object({
  /** The change's sequence number in the collection's change feed (gap-free, commit order). */
  seq: z.number().int(),
  event: z.enum(WATCH_EVENTS),
  id: z.string(),
  /** The document after the change; null for `delete` and `leave`. */
  data: Data.nullable(),
  /** The document before the change; null for `create` and `enter`. */
  old_data: Data.nullable(),
  /** When the change committed, epoch ms. */
  timestamp: z.number().int(),
});
export type WatchEvent = z.infer<typeof WatchEvent>;

/** The first frame on every accepted watcher connection. */
export const WatcherHelloFrame = z.object({
  ...envelope,
  type: z.literal("hello"),
  connection_id: z.string(),
  client_id: z.string(),
  user_id: z.string().nullable(),
  collection: z.string(),
  /** The subscription's filter, normalized as an expression; null when it watches every document. */
  filter: z.string().nullable(),
  limits: ConnectionLimits,
});
export type WatcherHelloFrame = z.infer<typeof WatcherHelloFrame>;

/** Changes in sequence order (several coalesced per frame when they come together). */
export const ChangesFrame = z.object({ ...envelope, type: z.literal("changes"), items: z.array(WatchEvent) });
export type ChangesFrame = z.infer<typeof ChangesFrame>;

/**
 * A part of a snapshot: documents to hold, and (in the last parts) ids to drop. Apply every part
 * in order; the result is the matching set at the `seq` of the `snapshot_end` that follows.
 */
export const SnapshotFrame = z.object({
  ...envelope,
  type: z.literal("snapshot"),
  items: z.array(WatchedDocument),
  removed: z.array(z.string()).optional(),
});
export type SnapshotFrame = z.infer<typeof SnapshotFrame>;

/**
 * The end of a snapshot: the reply to a `snapshot` request (`ref`), or `ref: null` for the
 * snapshot asked for at connect. `count` documents match at `seq`; `truncated` says more matched
 * than the limit (the snapshot holds the first ones by id).
 */
export const SnapshotEndFrame = z.object({
  ...envelope,
  type: z.literal("snapshot_end"),
  ref: z.number().int().nullable(),
  seq: z.number().int(),
  count: z.number().int(),
  truncated: z.boolean(),
});
export type SnapshotEndFrame = z.infer<typeof SnapshotEndFrame>;

/**
 * The connection follows the live stream and holds every change through `seq`: sent when it starts
 * following (after connect, a resume or a snapshot; `ref: null`), and as the reply to `sync`.
 */
export const SyncedFrame = z.object({
  ...envelope,
  type: z.literal("synced"),
  ref: z.number().int().nullable(),
  seq: z.number().int(),
});
export type SyncedFrame = z.infer<typeof SyncedFrame>;

/**
 * Changes this connection should have had are gone: `too_old` when they fell out of the change
 * feed's retention (`missed_from`..`missed_to`), `reset` when a resume asked for a sequence the
 * collection never reached. The stream goes on after `seq`; a client that keeps state asks for a
 * fresh snapshot (the SDK does this by itself).
 */
export const ResyncRequiredFrame = z.object({
  ...envelope,
  type: z.literal("resync_required"),
  reason: z.enum(["too_old", "reset"]),
  since_seq: z.number().int(),
  missed_from: z.number().int().nullable(),
  missed_to: z.number().int().nullable(),
  seq: z.number().int(),
});
export type ResyncRequiredFrame = z.infer<typeof ResyncRequiredFrame>;

/** Every frame a collection watcher may send. */
export const WatcherServerFrame = z.discriminatedUnion("type", [
  WatcherHelloFrame,
  ChangesFrame,
  SnapshotFrame,
  SnapshotEndFrame,
  SyncedFrame,
  ResyncRequiredFrame,
  ErrorFrame,
  PongFrame,
]);
export type WatcherServerFrame = z.infer<typeof WatcherServerFrame>;

/**
 * The Durable Object name of a project's collection watcher. Project ids never contain `:`, so the
 * first `:` separates the two and no two projects share an object.
 */
export function watcherObjectName(projectId: string, collection: string): string {
  return `${projectId}:${collection}`;
}

/** Largest serialized token claims a watcher keeps per connection (they live in the attachment). */
export const MAX_WATCH_CLAIMS_BYTES = 4096;

/**
 * What the Worker tells a watcher about a new connection, beyond the common connect parameters
 * (in `ConnectParams.extra`): the filter it parsed, the token's role and claims for the rules, and
 * whether to start with a snapshot.
 */
export const WatchConnect = z.object({
  /** The filter, normalized by `formatFilter`; null for every document. */
  filter: z
    .string()
    .max(MAX_FILTER_LENGTH * 4)
    .nullable(),
  role: z.string().max(256).nullable(),
  claims: z.record(z.string(), z.unknown()),
  snapshot: z.boolean(),
  snapshot_limit: z.number().int().min(1).max(MAX_SNAPSHOT_LIMIT),
});
export type WatchConnect = z.infer<typeof WatchConnect>;

import { z } from "zod";
import { MAX_PARTICIPANTS_LIMIT } from "../../core/protocol/room";

const DAY_MS = 24 * 3600 * 1000;

/**
 * A room's tunables beyond the socket hub's limits: history on join, participant default, state
 * size, and its life cycle. Every room starts with {@link DEFAULT_ROOM_CONFIG}; its own overrides
 * (the `configureRoom` RPC) are kept in its storage. Not the SDK's `RoomSettings`, which are the
 * fields a client creates a room with (title, visibility, ...).
 */
export const RoomConfig = z.object({
  /** Recent messages a joiner receives in its hello (a client may ask for fewer or more, up to 500). */
  history_on_join: z.number().int().min(0).max(500),
  /** `max_participants` of a room created without one. */
  default_max_participants: z.number().int().min(1).max(MAX_PARTICIPANTS_LIMIT),
  /** Largest shared state, serialized; an update that would grow it further is refused. */
  max_state_bytes: z
    .number()
    .int()
    .min(1024)
    .max(2 * 1024 * 1024),
  /** A room without participants for this long leaves the directory (it can still be joined). */
  directory_idle_ms: z
    .number()
    .int()
    .min(0)
    .max(30 * DAY_MS),
  /** A room without participants (or closed) for this long is deleted: messages, state, everything. */
  retention_ms: z
    .number()
    .int()
    .min(0)
    .max(365 * DAY_MS),
  /** Activity (messages, actions, state) reaches the directory's `last_activity_at` at most this often. */
  activity_interval_ms: z
    .number()
    .int()
    .min(0)
    .max(3600 * 1000),
});
export type RoomConfig = z.infer<typeof RoomConfig>;

export const RoomConfigPatch = RoomConfig.partial();
export type RoomConfigPatch = z.infer<typeof RoomConfigPatch>;

export const DEFAULT_ROOM_CONFIG: RoomConfig = {
  history_on_join: 50,
  default_max_participants: 100,
  max_state_bytes: 256 * 1024,
  directory_idle_ms: 5 * 60 * 1000,
  retention_ms: 7 * DAY_MS,
  activity_interval_ms: 60 * 1000,
};

import { z } from "zod";
import { RoomInfo } from "../../core/protocol/room";

/**
 * What a room stores about itself (in `hub_meta`, key `room`), from its creation on: what the hello
 * describes, and its project and closing. Times are epoch ms.
 */
export const RoomRecord = RoomInfo.extend({
  project_id: z.string(),
  closed_at: z.number().int().nullable(),
  closed_by: z.string().nullable(),
  close_reason: z.string().nullable(),
});
export type RoomRecord = z.infer<typeof RoomRecord>;

/**
 * Where a room stands in its life cycle (`hub_meta`, key `lifecycle`); written only when it
 * changes (a room becoming empty or busy again, a directory write being put off), never per
 * message.
 */
export const Lifecycle = z.object({
  /** Since when the room has had no participants; null while it has some. */
  empty_since: z.number().int().nullable(),
  /** Taken out of the directory after being idle (until someone joins again). */
  unlisted: z.boolean(),
  /** A directory write is due at this time (throttled activity, or a retry after a failure). */
  flush_at: z.number().int().nullable(),
  /** The latest activity known when that write was put off. */
  activity_at: z.number().int(),
});
export type Lifecycle = z.infer<typeof Lifecycle>;

export const NEW_LIFECYCLE: Lifecycle = { empty_since: null, unlisted: false, flush_at: null, activity_at: 0 };

/** Parses a stored JSON value with `schema`; null when absent or unreadable. */
export function readStored<T>(schema: z.ZodType<T>, raw: string | null): T | null {
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The room as the hello describes it. */
export function roomInfo(record: RoomRecord): RoomInfo {
  return {
    id: record.id,
    title: record.title,
    owner_id: record.owner_id,
    max_participants: record.max_participants,
    visibility: record.visibility,
    metadata: record.metadata,
    state_write: record.state_write,
    created_at: record.created_at,
  };
}

/** REST responses of channels and rooms as zod schemas, for the OpenAPI document. */
import { z } from "zod";
import { Message, PresenceMember } from "../protocol/channel.js";
import type { RoomListing } from "../protocol/room.js";

/** The answer to a REST publish (201; 200 with `duplicate: true` for an id already published). */
export const PublishResultSchema = z.object({
  id: z.string(),
  seq: z.number().int().nullable(),
  timestamp: z.number().int(),
  duplicate: z.boolean(),
});

/** A page of a channel's history, newest first. */
export const MessagePageSchema = z.object({ items: z.array(Message), next_cursor: z.string().nullable() });

export const PresencePageSchema = z.object({
  items: z.array(PresenceMember),
  next_cursor: z.null(),
  total: z.number().int(),
});

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });

export const RoomListingSchema = z.object({
  id: z.string(),
  title: z.string(),
  participant_count: z.number().int(),
  max_participants: z.number().int(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: IsoTime,
  last_activity_at: IsoTime,
}) satisfies z.ZodType<RoomListing>;

export const RoomPageSchema = z.object({ items: z.array(RoomListingSchema), next_cursor: z.string().nullable() });

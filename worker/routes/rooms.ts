import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { RoomPageSchema } from "../../core/rest/realtime";
import { decodeCursor, encodeCursor } from "../../data/documents/cursor";
import { type DirectoryPosition, listDirectory } from "../../data/rooms/room-directory";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";

/** The directory's one order, named in its cursors (a cursor of another list is refused). */
const DIRECTORY_SORT = "rooms:-created_at,-id";
/** ISO-8601 UTC as the directory stores it (`Date.toISOString`, fixed width). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** `next_cursor` of the previous page, unchanged. */
  cursor: z.string().min(1).max(1000).optional(),
});

/**
 * `/v1/rooms`: the project's public room directory (what the Cocobase SDK, a hosted backend's
 * client, calls `listRooms`), newest first, paged by a keyset cursor. Any credential of the
 * project may list it.
 * Rows are written by the rooms themselves (data/rooms/room-directory.ts): a room appears when
 * created public, its count follows joins and leaves, and it leaves the list when closed or idle
 * past its idle time.
 */
export const roomRoutes = new Hono<AppEnv>().get(
  "/",
  route({
    summary: "List the project's public rooms",
    description: "Newest first, paged by a keyset cursor.",
    auth: "project",
    query: ListQuery,
    responses: { 200: { description: "A page of rooms.", body: RoomPageSchema } },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const after = query.cursor === undefined ? null : position(query.cursor);
    const rows = await listDirectory(c.env.DB, c.var.auth.projectId, query.limit, after);
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    const next_cursor =
      rows.length > query.limit && last
        ? encodeCursor({ sort: DIRECTORY_SORT, values: [last.created_at], id: last.id })
        : null;
    return c.json({ items, next_cursor });
  },
);

/** Where the page after `cursor` starts. */
function position(cursor: string): DirectoryPosition {
  const { values, id } = decodeCursor(cursor, DIRECTORY_SORT, 1);
  const createdAt = values[0];
  if (typeof createdAt !== "string" || !ISO_UTC.test(createdAt)) {
    throw new ApiError("invalid_request", "The cursor is not valid for this list. Pass next_cursor back unchanged.");
  }
  return { created_at: createdAt, id };
}

/**
 * What realtime names and ids look like: channels, rooms, message and client ids. Plain patterns
 * with no zod, so the SDK checks names before it connects with the server's own rules
 * (core/protocol/channel.ts and room.ts re-export them beside the frame schemas).
 *
 * @module
 */

/** Channel names: what `GET /v1/realtime/channels/:name` and the REST routes accept. */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9._:-]{1,255}$/;

/** The reserved channel every client of a project can reach: project-wide announcements. */
export const BROADCAST_CHANNEL = "_broadcast";

/** Client-assigned message ids: short, opaque, URL-safe. The SDK uses `<base36 time>-<random>`. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** Client ids: the user id for tokens, or what a key-authenticated client calls itself. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._:@|+-]{1,128}$/;

/** Room ids: what `GET /v1/realtime/rooms/:id` accepts. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

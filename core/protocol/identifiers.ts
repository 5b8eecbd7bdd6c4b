/**
 * What realtime names and ids look like: channels, rooms, message and client ids. Plain patterns
 * with no zod, so the SDK checks names before it connects with the server's own rules. Everyone
 * imports them from here (the frame schemas in channel.ts and room.ts use them too).
 *
 * @module
 */

/** Channel names: what `GET /v1/realtime/channels/:name` and the REST routes accept. */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9._:-]{1,255}$/;

/** The reserved channel every client of a project can reach: project-wide announcements. */
export const BROADCAST_CHANNEL = "_broadcast";

/** Client-assigned message ids: short, opaque, URL-safe. The SDK uses `<base36 time>-<random>`. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * User ids, the one definition: what a token may be minted for, and so what rules see as
 * `auth.id`, presence and rooms show and every realtime object accepts. 1 to 255 characters
 * (code points), none a control character, no lone surrogate: "alice smith", "user/42", "日本"
 * and emails are all user ids. They travel to realtime objects encoded (connect-params.ts), so no
 * character is special on any wire.
 */
export const USER_ID_PATTERN = /^[^\p{Cc}\p{Cs}]{1,255}$/u;

/** What {@link USER_ID_PATTERN} accepts, for error messages. */
export const USER_ID_RULE = "1 to 255 characters, none a control character";

/**
 * Client ids a key-authenticated client may call itself (self-asserted, so a plain set of
 * characters). Every one is a user id too: a connection's client id is a user id either way (a
 * token's user id, or this), which is what objects accept ({@link USER_ID_PATTERN}).
 */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._:@|+-]{1,128}$/;

/** Room ids: what `GET /v1/realtime/rooms/:id` accepts. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

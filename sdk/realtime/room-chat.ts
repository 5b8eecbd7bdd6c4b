import { Room, type RoomOptions } from "./room.js";
import { fetchRooms, type ListRoomsQuery, type RoomList } from "./room-directory.js";
import { type StandaloneOptions, standaloneCore } from "./standalone.js";

/** How a `RoomChat` made from options connects, and how it joins. */
export interface RoomChatOptions extends StandaloneOptions, Omit<RoomOptions, "reconnect"> {}

/**
 * The Cocobase SDK's `RoomChat` (a hosted backend's client), on Flarebase rooms: a {@link Room} made from a key (or options) instead
 * of a client, with the same API: `create(title)`, `join()`, `on("joined" | "message" | …)`,
 * `sendMessage`, and the shared state, actions and moderation besides.
 *
 * @example
 * const room = new RoomChat("general", { key: "pk_…", url: "https://flarebase.example.com" }, "user_1", "Alice");
 * room.create("General Chat");
 * room.on("joined", (d) => console.log("joined room:", d.room_title));
 * room.on("message", (m) => console.log(`${m.user_name}: ${m.content}`));
 *
 * @example
 * // In a page served by the Flarebase server, a key is enough (the URL is the page's origin).
 * const room = new RoomChat("general", "pk_…", "user_2", "Bob");
 * room.join();
 * room.sendMessage("Hello everyone!");
 */
export class RoomChat extends Room {
  /**
   * @param roomId the room (1-128 of A-Z a-z 0-9 . _ : -)
   * @param keyOrOptions the project's public key, or {@link RoomChatOptions} (`url`, `key` or `token`, …)
   * @param userId who is chatting (with a key; a user token always speaks as its user)
   * @param userName shown with every message
   */
  constructor(roomId: string, keyOrOptions: string | RoomChatOptions, userId: string, userName: string) {
    const options: RoomChatOptions = typeof keyOrOptions === "string" ? {} : keyOrOptions;
    super(
      standaloneCore(keyOrOptions, 'new RoomChat(id, { key, url: "https://…" }, userId, userName)'),
      roomId,
      userId,
      userName,
      options,
    );
  }
}

/**
 * The Cocobase SDK's `listRooms`: one page of the project's public rooms (`GET /v1/rooms`), newest first,
 * as `{ items, next_cursor }` (Flarebase's list shape).
 *
 * @example
 * const { items, next_cursor } = await listRooms({ key: "pk_…", url: "https://flarebase.example.com" });
 * for (const room of items) console.log(`${room.title}: ${room.participant_count}/${room.max_participants}`);
 *
 * @throws {FlarebaseError} like every REST call.
 */
export function listRooms(keyOrOptions: string | StandaloneOptions, query?: ListRoomsQuery): Promise<RoomList> {
  return fetchRooms(standaloneCore(keyOrOptions, 'listRooms({ key, url: "https://…" })'), query);
}

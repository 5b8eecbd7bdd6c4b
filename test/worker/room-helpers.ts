import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { RoomHelloFrame, RoomServerFrame } from "../../core/protocol/room";
import type { DirectoryEntry } from "../../data/rooms/room-directory";
import type { RoomObject, RoomSnapshot } from "../../durable-objects/room/room";
import { connectRealtime, type TestSocket } from "./channel-helpers";
import { api, type TestProject } from "./helpers";
import { credentials } from "./watcher-helpers";

export type RoomSocket = TestSocket<RoomServerFrame>;

/** A unique room id per test, so tests never share an object. */
export function uniqueRoom(prefix = "r"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** The RoomObject stub for a project's room. */
export function roomStub(env: Env, projectId: string, roomId: string) {
  return env.ROOM.get(env.ROOM.idFromName(`${projectId}:${roomId}`));
}

/**
 * Opens a room socket through the Worker. `key` is a key or token (see `credentials`); `query` is
 * the upgrade's query (client_id, user_name, mode, title, since_seq, epoch...).
 */
export function connectRoom(
  roomId: string,
  key: string | null,
  query: Record<string, string | number> = {},
): Promise<RoomSocket> {
  const options = key === null ? { protocols: ["flarebase.v1"] } : credentials(key);
  return connectRealtime<RoomServerFrame>(`rooms/${encodeURIComponent(roomId)}`, { ...options, query });
}

/** Someone in a room: their socket and the hello they got. */
export interface Member {
  socket: RoomSocket;
  hello: RoomHelloFrame & Record<string, unknown>;
}

/** Joins (or with `mode: "create"`, creates) a room as `clientId` with the project's public key. */
export async function enter(
  project: TestProject,
  roomId: string,
  clientId: string,
  query: Record<string, string | number> = {},
): Promise<Member> {
  const socket = await connectRoom(roomId, project.keys.public, { client_id: clientId, user_name: clientId, ...query });
  const first = await socket.next();
  if (first.type !== "hello") throw new Error(`Expected a hello, got ${JSON.stringify(first)}`);
  return { socket, hello: first };
}

/** Creates a room (public by default) as `owner`. */
export function create(
  project: TestProject,
  roomId: string,
  owner: string,
  query: Record<string, string | number> = {},
): Promise<Member> {
  return enter(project, roomId, owner, { mode: "create", title: `Room ${roomId}`, ...query });
}

/** Connects, expects a refusal: an error frame first, then a close with `closeCode`. */
export async function expectRefused(socket: RoomSocket | Promise<RoomSocket>, code: string, closeCode: number) {
  const refused = await socket;
  expect(refused.response.status).toBe(101);
  const error = await refused.next();
  expect(error).toMatchObject({ v: 1, type: "error", ref: null, code });
  expect(await refused.closed()).toEqual({ code: closeCode, reason: code });
  return error;
}

/** A stored-message request frame: a chat message with a fresh id (or the one given). */
export function say(socket: RoomSocket, content: string, id: string = crypto.randomUUID()) {
  return socket.request({ type: "message", id, content });
}

/** The project's listed rooms, through `GET /v1/rooms`. */
export async function listRooms(project: TestProject, query: Record<string, string | number> = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) search.set(name, String(value));
  const response = await api(`/v1/rooms${search.size > 0 ? `?${search}` : ""}`, {
    headers: { "X-API-Key": project.keys.public },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { items: DirectoryEntry[]; next_cursor: string | null };
}

/** Leaves: closes every socket given. */
export function leaveAll(...members: Member[]): void {
  for (const member of members) member.socket.close();
}

/** Takes `participant` events until `userId`'s `action` (joined, updated, left) and returns it. */
export async function participantEvent(socket: RoomSocket, action: "joined" | "updated" | "left", userId: string) {
  for (;;) {
    const event = await socket.next("participant");
    if (event.action === action && event.participant.user_id === userId) return event;
  }
}

/** The room's own view of itself (its `info()`, read inside the object). */
export function inspect(env: Env, projectId: string, roomId: string): Promise<RoomSnapshot> {
  return runInDurableObject(roomStub(env, projectId, roomId), (room: RoomObject) => room.info());
}

import type { RoomListing } from "../../core/protocol/room.js";
import type { Credentials } from "../client.js";
import { type CallOptions, DEFAULT_TIMEOUT_MS, defaultFetch, request, type Transport } from "../http.js";
import type { RealtimeCore } from "./socket.js";

export type { RoomListing };

/** A page of the room directory, newest rooms first. */
export interface RoomList {
  items: RoomListing[];
  /** Pass as `cursor` for the next page; null on the last. */
  next_cursor: string | null;
}

export interface ListRoomsQuery extends CallOptions {
  /** Rooms per page (the server's default when absent). */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string | null;
}

/**
 * Reads one page of the project's public rooms (`GET /v1/rooms`). A client's core has a transport
 * already; a standalone helper's core only has credentials, so requests are built from them.
 *
 * @throws {FlarebaseError} like every REST call.
 */
export function fetchRooms(core: RealtimeCore & Partial<Transport>, query: ListRoomsQuery = {}): Promise<RoomList> {
  const transport: Transport = {
    url: core.url,
    fetch: core.fetch ?? defaultFetch(),
    timeoutMs: core.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    authHeaders: core.authHeaders ?? (async () => headersFor(await core.credentials())),
  };
  const { limit, cursor, ...callOptions } = query;
  return request<RoomList>(transport, "GET", "/v1/rooms", { ...callOptions, query: { limit, cursor } });
}

function headersFor(credentials: Credentials): Record<string, string> {
  if (credentials.token) return { Authorization: `Bearer ${credentials.token}` };
  return credentials.key ? { "X-API-Key": credentials.key } : {};
}

import { ApiError } from "../../core/errors";
import { describeIssues } from "../../core/issues";
import { ALL_OPS } from "../../core/protocol/capabilities";
import { type ConnectParams, connectRequest } from "../../core/protocol/connect-params";
import { ROOM_ID_PATTERN, RoomJoin } from "../../core/protocol/room";
import { epochParam, type SocketCaller } from "./realtime-upgrade";

/** Refuses an id that cannot be a room, before credentials are looked at. */
export function checkRoomId(id: string): void {
  if (!ROOM_ID_PATTERN.test(id)) {
    throw new ApiError(
      "invalid_room",
      `"${id.slice(0, 200)}" is not a room id: use 1-128 characters of A-Z a-z 0-9 . _ : -`,
    );
  }
}

/** The Durable Object name of a project's room (project ids never contain `:`). */
export function roomObjectName(projectId: string, roomId: string): string {
  return `${projectId}:${roomId}`;
}

/**
 * `GET /v1/realtime/rooms/:id`, after authentication: reads how the caller joins (or creates) the
 * room from the query and hands the socket to the room, which admits it or turns it away. Rooms
 * are open to every credential of the project (a private room is unlisted, not locked).
 *
 * Query: `user_name`, `user_metadata` (a JSON object), `history` (messages on join), `mode`
 * (`join`, the default, or `create`) and, for `create`: `title`, `max_participants`,
 * `visibility` (`public`|`private`), `metadata` (a JSON object), `state_write` (`anyone`|`owner`).
 */
export async function openRoom(env: Env, id: string, caller: SocketCaller): Promise<Response> {
  const { query } = caller;
  const mode = query.get("mode") ?? "join";
  if (mode !== "join" && mode !== "create") {
    throw new ApiError("invalid_request", 'mode is "join" (the default) or "create".');
  }
  const candidate = {
    user_name: query.get("user_name") ?? caller.params.client_id,
    user_metadata: jsonParam(query, "user_metadata") ?? {},
    history: intParam(query, "history"),
    create:
      mode === "create"
        ? {
            title: query.get("title") ?? id,
            max_participants: intParam(query, "max_participants"),
            visibility: query.get("visibility") ?? "public",
            metadata: jsonParam(query, "metadata") ?? {},
            state_write: query.get("state_write") ?? "anyone",
          }
        : null,
  };
  const join = RoomJoin.safeParse(candidate);
  if (!join.success) {
    throw new ApiError("invalid_request", "Invalid room parameters.", {
      issues: describeIssues(join.error),
    });
  }
  const params: ConnectParams = {
    ...caller.params,
    name: id,
    // Channel capabilities do not apply to rooms: the room itself decides (owner, write policy).
    ops: ALL_OPS,
    epoch: epochParam(query.get("epoch")),
    extra: join.data,
  };
  const stub = env.ROOM.get(env.ROOM.idFromName(roomObjectName(caller.auth.projectId, id)));
  return stub.fetch(connectRequest(params));
}

function jsonParam(query: URLSearchParams, name: string): unknown {
  const raw = query.get(name);
  if (raw === null || raw === "") return null;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ApiError("invalid_request", `${name} must be a JSON object.`);
  }
}

function intParam(query: URLSearchParams, name: string): number | null {
  const raw = query.get(name);
  if (raw === null || raw === "") return null;
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ApiError("invalid_request", `${name} must be a whole number.`);
  }
  return Number(raw);
}

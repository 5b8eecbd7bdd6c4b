import { z } from "zod";
import { ApiError } from "../../core/errors";
import { describeIssues } from "../../core/issues";
import { ALL_OPS } from "../../core/protocol/capabilities";
import { type ConnectParams, connectRequest } from "../../core/protocol/connect-params";
import { ROOM_ID_PATTERN } from "../../core/protocol/identifiers";
import { MAX_USER_NAME_LENGTH, RoomJoin } from "../../core/protocol/room";
import { ConnectQuery, EpochQuery, jsonObjectParam, parseUpgradeQuery, wholeNumberParam } from "./realtime-query";
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
 * The query of a room upgrade, besides the connection's (./realtime-query.ts): how the caller
 * joins, and for `mode=create` the room it creates. RoomJoin checks the values afterwards.
 */
export const RoomUpgradeQuery = ConnectQuery.extend(EpochQuery.shape).extend({
  mode: z
    .enum(["join", "create"], { error: 'mode is "join" (the default) or "create".' })
    .optional()
    .meta({ description: "`join` (the default) or `create` (joins when the room exists)." }),
  user_name: z.string().optional().meta({ description: "Shown to the others; default: the client id." }),
  user_metadata: jsonObjectParam("user_metadata"),
  history: wholeNumberParam("history").meta({ description: "Messages to receive on join (0-500)." }),
  title: z.string().optional().meta({ description: "create: the room's title (default: its id)." }),
  max_participants: wholeNumberParam("max_participants").meta({ description: "create: the most participants." }),
  visibility: z
    .string()
    .optional()
    .meta({ description: "create: `public` (listed, the default) or `private` (unlisted)." }),
  metadata: jsonObjectParam("metadata"),
  state_write: z.string().optional().meta({ description: "create: who may write the state, `anyone` or `owner`." }),
});

/**
 * `GET /v1/realtime/rooms/:id`, after authentication: reads how the caller joins (or creates) the
 * room from the query ({@link RoomUpgradeQuery}) and hands the socket to the room, which admits it
 * or turns it away. Rooms are open to every credential of the project (a private room is
 * unlisted, not locked).
 */
export async function openRoom(env: Env, id: string, caller: SocketCaller): Promise<Response> {
  const query = parseUpgradeQuery(RoomUpgradeQuery, caller.query);
  const candidate = {
    user_name: query.user_name ?? defaultUserName(caller.params.client_id),
    user_metadata: query.user_metadata ?? {},
    history: query.history ?? null,
    create:
      query.mode === "create"
        ? {
            title: query.title ?? id,
            max_participants: query.max_participants ?? null,
            visibility: query.visibility ?? "public",
            metadata: query.metadata ?? {},
            state_write: query.state_write ?? "anyone",
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
    epoch: epochParam(caller.query.get("epoch")),
    extra: join.data,
  };
  const stub = env.ROOM.get(env.ROOM.idFromName(roomObjectName(caller.auth.projectId, id)));
  return stub.fetch(connectRequest(params));
}

/**
 * The name of a participant who gave none: their client id, which may be longer than a name (a
 * user id has up to 255 characters), cut to fit and never to half a character.
 */
function defaultUserName(clientId: string): string {
  let name = "";
  for (const character of clientId.trim()) {
    if (name.length + character.length > MAX_USER_NAME_LENGTH) break;
    name += character;
  }
  return name || "anonymous";
}

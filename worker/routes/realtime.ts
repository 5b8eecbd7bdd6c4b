import { Hono } from "hono";
import { z } from "zod";
import { CollectionParams } from "../../core/documents/names";
import { ApiError } from "../../core/errors";
import { OP_BITS } from "../../core/protocol/capabilities";
import { channelNameProblem, channelObjectName } from "../../core/protocol/channel-names";
import { connectRequest } from "../../core/protocol/connect-params";
import { CHANNEL_NAME_PATTERN, ROOM_ID_PATTERN } from "../../core/protocol/identifiers";
import type { AppEnv } from "../app-env";
import { channelOpsOf } from "../auth/channel-ops";
import { route } from "../openapi/route";
import { ConnectQuery, EpochQuery } from "./realtime-query";
import { checkRoomId, openRoom, RoomUpgradeQuery } from "./realtime-room";
import { epochParam, upgradeSocket } from "./realtime-upgrade";
import { checkWatchedCollection, openWatcher, WatchUpgradeQuery, watchReads } from "./realtime-watch";

/**
 * `/v1/realtime`: WebSocket upgrades. The Worker authenticates and authorizes the socket (see
 * `upgradeSocket` for credentials and refusals), then hands it to the realtime object with the
 * verified identity.
 * - `/channels/:name`: a pub/sub channel (docs/protocol.md).
 * - `/collections/:collection`: a live query on a collection, with an optional filter in either
 *   syntax of the documents API (docs/live-queries.md).
 * - `/rooms/:id`: a room (chat, participants, shared state), joined or created (docs/rooms.md).
 */
export const realtimeRoutes = new Hono<AppEnv>()
  .get(
    "/channels/:name",
    route({
      summary: "Connect to a channel (WebSocket)",
      description: "Pub/sub with ordered, exactly-once delivery and resume (docs/protocol.md).",
      auth: "socket",
      params: z.object({ name: z.string().regex(CHANNEL_NAME_PATTERN) }),
      query: ConnectQuery.extend(EpochQuery.shape),
      responses: { 101: { description: "Switching protocols: the channel's frames follow." } },
    }),
    (c) => {
      const name = c.req.param("name");
      return upgradeSocket(c, {
        check() {
          const problem = channelNameProblem(name);
          if (problem) throw new ApiError("invalid_channel", problem);
        },
        async open({ auth, query, params }) {
          const ops = channelOpsOf(auth, name);
          if ((ops & OP_BITS.subscribe) === 0) {
            throw new ApiError("forbidden", `These credentials may not subscribe to channel "${name}".`, {
              capability: "subscribe",
            });
          }
          const stub = c.env.CHANNEL.get(c.env.CHANNEL.idFromName(channelObjectName(auth.projectId, name)));
          return stub.fetch(connectRequest({ ...params, name, ops, epoch: epochParam(query.get("epoch")) }));
        },
      });
    },
  )
  .get(
    "/collections/:collection",
    route({
      summary: "Watch a collection (WebSocket)",
      description:
        "A live query: the changes to the documents matching the filter, optionally after a snapshot (docs/live-queries.md). Parameters not listed here filter on fields, as in a list.",
      auth: "socket",
      params: CollectionParams,
      query: WatchUpgradeQuery,
      responses: { 101: { description: "Switching protocols: the watcher's frames follow." } },
    }),
    (c) => {
      const collection = c.req.param("collection");
      return upgradeSocket(c, {
        check: () => checkWatchedCollection(collection),
        reads: (auth, db) => watchReads(auth, db, collection),
        open: (caller, read) => openWatcher(c.env, collection, caller, read),
      });
    },
  )
  .get(
    "/rooms/:id",
    route({
      summary: "Join or create a room (WebSocket)",
      description: "Chat, participants and shared state (docs/rooms.md).",
      auth: "socket",
      params: z.object({ id: z.string().regex(ROOM_ID_PATTERN) }),
      query: RoomUpgradeQuery,
      responses: { 101: { description: "Switching protocols: the room's frames follow." } },
    }),
    (c) => {
      const id = c.req.param("id");
      return upgradeSocket(c, { check: () => checkRoomId(id), open: (caller) => openRoom(c.env, id, caller) });
    },
  );

import { Hono } from "hono";
import { ApiError } from "../../core/errors";
import { OP_BITS } from "../../core/protocol/capabilities";
import { channelNameProblem, channelObjectName } from "../../core/protocol/channel-names";
import { connectRequest } from "../../core/protocol/connect-params";
import type { AppEnv } from "../app-env";
import { channelOpsOf } from "../auth/channel-ops";
import { checkRoomId, openRoom } from "./realtime-room";
import { epochParam, upgradeSocket } from "./realtime-upgrade";
import { checkWatchedCollection, openWatcher } from "./realtime-watch";

/**
 * `/v1/realtime`: WebSocket upgrades. The Worker authenticates and authorizes the socket (see
 * `upgradeSocket` for credentials and refusals), then hands it to the realtime object with the
 * verified identity.
 * - `/channels/:name`: a pub/sub channel (docs/realtime.md).
 * - `/collections/:collection`: a live query on a collection, with an optional filter in either
 *   syntax of the documents API (docs/live-queries.md).
 * - `/rooms/:id`: a room (chat, participants, shared state), joined or created (docs/rooms.md).
 */
export const realtimeRoutes = new Hono<AppEnv>()
  .get("/channels/:name", (c) => {
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
  })
  .get("/collections/:collection", (c) => {
    const collection = c.req.param("collection");
    return upgradeSocket(c, {
      check: () => checkWatchedCollection(collection),
      open: (caller) => openWatcher(c.env, collection, caller),
    });
  })
  .get("/rooms/:id", (c) => {
    const id = c.req.param("id");
    return upgradeSocket(c, { check: () => checkRoomId(id), open: (caller) => openRoom(c.env, id, caller) });
  });

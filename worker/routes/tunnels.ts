import { Hono } from "hono";
import { z } from "zod";
import { ENDPOINT_LABEL } from "../../core/endpoints/limits";
import { ApiError } from "../../core/errors";
import { TunnelLogSchema, TunnelStatusSchema } from "../../core/rest/tunnels";
import { REQUEST_LOG_SIZE } from "../../durable-objects/tunnel/request-log";
import { CONNECT_URL, tunnelStub } from "../../durable-objects/tunnel/tunnel-address";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";
import { upgradeSocket } from "./realtime-upgrade";
import { requireTunnelEndpoint } from "./tunnel-endpoint";

const LabelParams = z.object({
  label: z.string().regex(ENDPOINT_LABEL, "an endpoint label: 1-63 of a-z 0-9 _ - (starting with a letter or digit)"),
});

const LogQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(REQUEST_LOG_SIZE)
    .optional()
    .meta({ description: `Entries to return, newest first (1-${REQUEST_LOG_SIZE}, default ${REQUEST_LOG_SIZE}).` }),
});

/**
 * `/v1/tunnels/:label`: the `flarebase tunnel` CLI's side of a tunnelled endpoint
 * (docs/endpoints.md#tunnel). The CLI connects with the project's secret key to serve a label
 * registered as a tunnel endpoint; callers reach it through `/v1/proxy/:label/*`.
 */
export const tunnelRoutes = new Hono<AppEnv>()
  .get(
    "/:label/connect",
    route({
      summary: "Serve a tunnel endpoint (WebSocket, the CLI)",
      description:
        "The `flarebase tunnel` CLI's socket: requests for the label arrive over it as binary frames (docs/protocol.md#tunnel-frames). Offer the subprotocols `flarebase.v1` and `flarebase.key.<sk_…>`. A new connection for a label takes it over from the previous one, which is closed with 4016. Refusals arrive in-band: an `error` frame, then a close (4001 bad key, 4003 not a secret key, 4004 no tunnel endpoint with this label).",
      auth: "socket",
      params: z.object({ label: z.string() }),
      responses: { 101: { description: "Switching protocols: tunnel frames follow." } },
    }),
    (c) => {
      const label = c.req.param("label");
      return upgradeSocket(c, {
        check() {
          if (!ENDPOINT_LABEL.test(label)) {
            throw new ApiError("invalid_request", `"${label.slice(0, 100)}" is not an endpoint label.`);
          }
        },
        async open({ auth }) {
          if (auth.kind !== "secret") {
            throw new ApiError("forbidden", "Only a secret key (sk_…) may serve a tunnel.");
          }
          await requireTunnelEndpoint(c.env.DB, auth.projectId, label);
          return tunnelStub(c.env, auth.projectId, label).fetch(CONNECT_URL, { headers: { Upgrade: "websocket" } });
        },
      });
    },
  )
  .get(
    "/:label",
    route({
      summary: "Whether a tunnel is online",
      auth: "secret",
      params: LabelParams,
      responses: { 200: { description: "The tunnel's state.", body: TunnelStatusSchema } },
    }),
    async (c) => {
      const { label } = c.req.valid("param");
      return c.json(await tunnelStub(c.env, c.var.auth.projectId, label).status(label));
    },
  )
  .get(
    "/:label/requests",
    route({
      summary: "A tunnel's request log",
      description: `The last ${REQUEST_LOG_SIZE} requests that went through the tunnel, newest first: method, path (without the query), status, bytes, duration, time. No bodies or headers are kept.`,
      auth: "secret",
      params: LabelParams,
      query: LogQuery,
      responses: { 200: { description: "The request log.", body: TunnelLogSchema } },
    }),
    async (c) => {
      const { label } = c.req.valid("param");
      const { limit } = c.req.valid("query");
      const items = await tunnelStub(c.env, c.var.auth.projectId, label).requestLog(limit);
      return c.json({ items, next_cursor: null });
    },
  );

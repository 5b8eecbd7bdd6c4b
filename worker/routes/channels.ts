import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { OP_BITS } from "../../core/protocol/capabilities";
import { type CapabilityOp, MessageIdSchema } from "../../core/protocol/channel";
import { channelNameProblem, channelObjectName } from "../../core/protocol/channel-names";
import { CHANNEL_NAME_PATTERN, CLIENT_ID_PATTERN } from "../../core/protocol/identifiers";
import { MessagePageSchema, PresencePageSchema, PublishResultSchema } from "../../core/rest/realtime";
import type { AppEnv } from "../app-env";
import type { AuthContext } from "../auth/auth-context";
import { channelOpsOf } from "../auth/channel-ops";
import { route } from "../openapi/route";

const PublishBody = z.object({
  name: z.string().min(1).max(128),
  data: z.unknown().optional(),
  /** Client-assigned id: a retry with the same id is acked with the original seq (exactly-once). */
  id: MessageIdSchema.optional(),
  ephemeral: z.boolean().optional(),
  /** Who the message is from, for keys; a user token always publishes as its user. */
  client_id: z.string().regex(CLIENT_ID_PATTERN).optional(),
});

/** The name is checked (with its own message) by `channelAccess`, before anything else. */
const ChannelParams = z.object({ name: z.string().regex(CHANNEL_NAME_PATTERN) });

const HistoryQuery = z.object({
  /** `next_cursor` of the previous page. */
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, "cursor is the next_cursor of a previous page")
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * `/v1/channels`: the REST side of pub/sub. A REST publish is a publish like any other: same
 * sequence, same dedup window, same live fan-out. History is the channel's replay buffer, paged
 * backwards (newest first).
 */
export const channelRoutes = new Hono<AppEnv>()
  .post(
    "/:name/messages",
    route({
      summary: "Publish a message",
      description: "The same sequence, dedup window and live fan-out as a publish over the socket.",
      auth: "project",
      checks: [channelAccess("publish")],
      params: ChannelParams,
      body: PublishBody,
      responses: {
        201: { description: "Published.", body: PublishResultSchema },
        200: { description: "A duplicate `id`: the original `seq` and `timestamp`.", body: PublishResultSchema },
      },
      errors: ["forbidden"],
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const body = c.req.valid("json");
      const outcome = await channelStub(c.env, c.var.auth, name).publishMessage({
        client_id: publisherId(c.var.auth, body.client_id),
        id: body.id,
        name: body.name,
        data: body.data ?? null,
        ephemeral: body.ephemeral,
      });
      // A refused publish (`payload_too_large`) comes back as a value: errors thrown over RPC lose their type.
      if (outcome.error) throw ApiError.fromBody(outcome.error);
      return c.json(outcome.result, outcome.result.duplicate ? 200 : 201);
    },
  )

  .get(
    "/:name/messages",
    route({
      summary: "Read a channel's history",
      description: "The channel's replay buffer, newest first, paged backwards.",
      auth: "project",
      checks: [channelAccess("history")],
      params: ChannelParams,
      query: HistoryQuery,
      responses: { 200: { description: "A page of messages.", body: MessagePageSchema } },
      errors: ["forbidden"],
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const query = c.req.valid("query");
      const page = await channelStub(c.env, c.var.auth, name).history(
        query.cursor === undefined ? null : Number(query.cursor),
        query.limit,
      );
      // The messages are stored serialized: splice them in rather than parse and re-serialize.
      const next = page.next_before_seq === null ? "null" : `"${page.next_before_seq}"`;
      return c.body(`{"items":[${page.items.join(",")}],"next_cursor":${next}}`, 200, {
        "Content-Type": "application/json",
      });
    },
  )

  .get(
    "/:name/presence",
    route({
      summary: "Who is present on a channel",
      auth: "project",
      checks: [channelAccess("subscribe")],
      params: ChannelParams,
      responses: { 200: { description: "Every present client.", body: PresencePageSchema } },
      errors: ["forbidden"],
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const members = JSON.parse(await channelStub(c.env, c.var.auth, name).presenceMembers()) as unknown[];
      return c.json({ items: members, next_cursor: null, total: members.length });
    },
  );

/**
 * Validates the channel name and checks the caller may do `op` on it, before the query or the
 * body are looked at.
 */
function channelAccess(op: CapabilityOp) {
  return createMiddleware<AppEnv>(async (c, next) => {
    channelParam(c.req.param("name") ?? "", c.var.auth, op);
    await next();
  });
}

/** Validates the channel name and checks the caller may do `op` on it. */
function channelParam(name: string, auth: AuthContext, op: CapabilityOp): string {
  const problem = channelNameProblem(name);
  if (problem) throw new ApiError("invalid_request", problem, { param: "name" });
  if ((channelOpsOf(auth, name) & OP_BITS[op]) === 0) {
    throw new ApiError("forbidden", `These credentials may not ${op} on channel "${name}".`, { capability: op });
  }
  return name;
}

function channelStub(env: Env, auth: AuthContext, name: string) {
  return env.CHANNEL.get(env.CHANNEL.idFromName(channelObjectName(auth.projectId, name)));
}

/** The publisher's client id: a token's user; for keys, the body's `client_id` or a default. */
function publisherId(auth: AuthContext, requested: string | undefined): string {
  if (auth.kind === "user" && auth.userId) {
    if (requested !== undefined && requested !== auth.userId) {
      throw new ApiError("forbidden", "A user token publishes as its own user; client_id must be omitted or match it.");
    }
    return auth.userId;
  }
  return requested ?? (auth.kind === "secret" ? "server" : "anonymous");
}

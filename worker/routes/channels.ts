import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { OP_BITS } from "../../core/protocol/capabilities";
import { type CapabilityOp, CLIENT_ID_PATTERN, MessageIdSchema } from "../../core/protocol/channel";
import { channelNameProblem, channelObjectName } from "../../core/protocol/channel-names";
import type { AppEnv } from "../app-env";
import { type AuthContext, requireAuth } from "../auth/auth-context";
import { channelOpsOf } from "../auth/channel-ops";
import { readJson, readQuery } from "../validation";

const PublishBody = z.object({
  name: z.string().min(1).max(128),
  data: z.unknown().optional(),
  /** Client-assigned id: a retry with the same id is acked with the original seq (exactly-once). */
  id: MessageIdSchema.optional(),
  ephemeral: z.boolean().optional(),
  /** Who the message is from, for keys; a user token always publishes as its user. */
  client_id: z.string().regex(CLIENT_ID_PATTERN).optional(),
});

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
  .use(requireAuth)

  .post("/:name/messages", async (c) => {
    const name = channelParam(c.req.param("name"), c.var.auth, "publish");
    const body = await readJson(c, PublishBody);
    const { result, error } = await channelStub(c.env, c.var.auth, name).publishMessage({
      client_id: publisherId(c.var.auth, body.client_id),
      id: body.id,
      name: body.name,
      data: body.data ?? null,
      ephemeral: body.ephemeral,
    });
    if (error || !result) {
      if (error?.code === "frame_too_large") {
        throw new ApiError("payload_too_large", error.message, { max_bytes: error.max_bytes });
      }
      throw new ApiError("internal", error?.message ?? "The channel did not answer.");
    }
    return c.json(result, result.duplicate ? 200 : 201);
  })

  .get("/:name/messages", async (c) => {
    const name = channelParam(c.req.param("name"), c.var.auth, "history");
    const query = readQuery(c, HistoryQuery);
    const page = await channelStub(c.env, c.var.auth, name).history(
      query.cursor === undefined ? null : Number(query.cursor),
      query.limit,
    );
    // The messages are stored serialized: splice them in rather than parse and re-serialize.
    const next = page.next_before_seq === null ? "null" : `"${page.next_before_seq}"`;
    return c.body(`{"items":[${page.items.join(",")}],"next_cursor":${next}}`, 200, {
      "Content-Type": "application/json",
    });
  })

  .get("/:name/presence", async (c) => {
    const name = channelParam(c.req.param("name"), c.var.auth, "subscribe");
    const members = JSON.parse(await channelStub(c.env, c.var.auth, name).presenceMembers()) as unknown[];
    return c.json({ items: members, next_cursor: null, total: members.length });
  });

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

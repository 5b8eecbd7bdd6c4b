import { Hono } from "hono";
import { z } from "zod";
import { USER_ID_PATTERN, USER_ID_RULE } from "../../core/protocol/identifiers";
import { UserTokenSchema, WhoAmISchema } from "../../core/rest/auth";
import type { AppEnv } from "../app-env";
import { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS, mintToken, RESERVED_CLAIMS } from "../auth/tokens";
import { route } from "../openapi/route";

const MAX_CLAIMS_BYTES = 4096;

const TokenRequest = z.object({
  user_id: z.string().regex(USER_ID_PATTERN, `user_id must be ${USER_ID_RULE}`),
  role: z.string().min(1).max(64).optional(),
  claims: z
    .record(z.string().max(64), z.json())
    .refine((claims) => !RESERVED_CLAIMS.some((name) => name in claims), {
      message: `claims may not use the reserved names ${RESERVED_CLAIMS.join(", ")}`,
    })
    .refine((claims) => JSON.stringify(claims).length <= MAX_CLAIMS_BYTES, {
      message: `claims must serialize to at most ${MAX_CLAIMS_BYTES} bytes`,
    })
    .optional(),
  ttl_seconds: z.number().int().min(60).max(MAX_TOKEN_TTL_SECONDS).default(DEFAULT_TOKEN_TTL_SECONDS),
});

/** `/v1/auth`: user tokens. */
export const authRoutes = new Hono<AppEnv>()
  .post(
    "/token",
    route({
      summary: "Mint a user token",
      description: "A server holding a secret key mints a token for one of its users (apps with their own auth).",
      auth: "secret",
      body: TokenRequest,
      responses: { 201: { description: "The token (HS256, bound to the project).", body: UserTokenSchema } },
    }),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(await mintToken(c.env.DB, c.var.auth.projectId, body, body.ttl_seconds), 201);
    },
  )

  .get(
    "/me",
    route({
      summary: "Who am I",
      auth: "project",
      responses: {
        200: { description: "The auth context the server resolved for these credentials.", body: WhoAmISchema },
      },
    }),
    (c) => {
      const { projectId, kind, userId, role, claims } = c.var.auth;
      return c.json({ project_id: projectId, kind, user_id: userId, role, claims });
    },
  );

/** Responses of `/v1/auth` and `/health` as zod schemas, for the OpenAPI document. */
import { z } from "zod";

export const HealthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  database: z.enum(["ok", "unavailable"]),
});

export const UserTokenSchema = z.object({
  token: z.string(),
  expires_at: z.string().meta({ description: "ISO-8601 UTC" }),
});

/** What the server resolved the caller's credentials to. */
export const WhoAmISchema = z.object({
  project_id: z.string(),
  kind: z.enum(["public", "secret", "user"]),
  user_id: z.string().nullable(),
  role: z.string().nullable(),
  claims: z.record(z.string(), z.unknown()),
});

/** Responses of the admin API (`/v1/admin`) as zod schemas, for the OpenAPI document. */
import { z } from "zod";
import { CapabilityClaim } from "../protocol/capabilities.js";

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });

export const ProjectSchema = z.object({
  id: z.string(),
  name: z.string(),
  allowed_origins: z.array(z.string()),
  /** The project's default channel capabilities for public keys; null: everything. */
  channel_capabilities: CapabilityClaim.nullable(),
  created_at: IsoTime,
});

/** A new project, with its first keys (shown once). */
export const CreatedProjectSchema = ProjectSchema.extend({
  keys: z.object({ public: z.string(), secret: z.string() }),
});

export const ProjectPageSchema = z.object({ items: z.array(ProjectSchema), next_cursor: z.string().nullable() });

export const ApiKeySchema = z.object({
  id: z.string(),
  kind: z.enum(["public", "secret"]),
  name: z.string().nullable(),
  created_at: IsoTime,
  revoked_at: IsoTime.nullable(),
});

/** A new key: its listing and the key itself (shown once). */
export const CreatedApiKeySchema = ApiKeySchema.extend({ key: z.string() });

export const ApiKeyPageSchema = z.object({ items: z.array(ApiKeySchema), next_cursor: z.null() });

export const SigningKeyRotationSchema = z.object({ kid: z.string().nullable(), rotated_at: IsoTime });

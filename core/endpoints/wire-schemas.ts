/**
 * The endpoint API's responses as zod schemas, for the OpenAPI document and the tests. Each one
 * `satisfies` its plain type in ./wire.ts; the SDK imports only those types.
 */
import { z } from "zod";
import type { DeletedEndpoint, EndpointList, EndpointRecord } from "./wire.js";

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });

export const EndpointTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("url"), url: z.string() }),
  z.object({ kind: z.literal("tunnel") }),
]);

export const EndpointRecordSchema = z.object({
  label: z.string(),
  description: z.string().nullable(),
  target: EndpointTargetSchema,
  header_names: z.array(z.string()).meta({ description: "Names of the secret headers; values are write-only." }),
  timeouts: z.object({
    first_byte_ms: z.number().int(),
    idle_ms: z.number().int(),
    total_ms: z.number().int(),
  }),
  max_body_bytes: z.number().int(),
  rate_limit: z.object({
    per_label: z.number().int().nullable().meta({ description: "Requests per minute; null: no limit." }),
    per_caller: z.number().int().nullable().meta({ description: "Requests per minute; null: no limit." }),
  }),
  access: z.object({ public_key: z.boolean(), user_tokens: z.boolean(), rule: z.string().nullable() }),
  created_at: IsoTime,
  updated_at: IsoTime,
}) satisfies z.ZodType<EndpointRecord>;

export const EndpointListSchema = z.object({
  items: z.array(EndpointRecordSchema),
  next_cursor: z.null(),
}) satisfies z.ZodType<EndpointList>;

export const DeletedEndpointSchema = z.object({
  label: z.string(),
  deleted: z.literal(true),
}) satisfies z.ZodType<DeletedEndpoint>;

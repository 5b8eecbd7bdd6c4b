/** The resumable upload API's JSON response as a zod schema, for the OpenAPI document and tests. */
import { z } from "zod";
import { FileRecordSchema } from "../files/wire-schemas.js";
import type { UploadView } from "../protocol/tus.js";

export const UploadViewSchema = z.object({
  id: z.string(),
  bucket: z.string(),
  path: z.string(),
  content_type: z.string(),
  length: z.number().int().min(0),
  offset: z.number().int().min(0),
  complete: z.boolean(),
  expires_at: z.string().meta({ description: "ISO-8601 UTC" }).nullable(),
  file: FileRecordSchema.nullable(),
}) satisfies z.ZodType<UploadView>;

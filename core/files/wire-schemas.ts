/**
 * The storage API's responses as zod schemas, for the OpenAPI document and the tests. Each one
 * `satisfies` its plain type in ./wire.ts, so the two cannot drift apart; the SDK imports only
 * those types (never this file: zod stays out of the browser bundle).
 */
import { z } from "zod";
import type { BucketRecord, FileList, FileRecord, SignedUrl, StorageUsage } from "./wire.js";

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });

export const FileRecordSchema = z.object({
  id: z.string(),
  bucket: z.string(),
  path: z.string(),
  size: z.number().int().min(0),
  content_type: z.string(),
  etag: z.string(),
  metadata: z.record(z.string(), z.string()),
  uploaded_by: z.string().nullable(),
  created_at: IsoTime,
  updated_at: IsoTime,
  url: z.string(),
}) satisfies z.ZodType<FileRecord>;

export const FileListSchema = z.object({
  items: z.array(FileRecordSchema),
  folders: z.array(z.object({ prefix: z.string() })),
  next_cursor: z.string().nullable(),
}) satisfies z.ZodType<FileList>;

const RuleText = z.string();
export const BucketRecordSchema = z.object({
  name: z.string(),
  public: z.boolean(),
  max_file_bytes: z.number().int().nullable(),
  allowed_content_types: z.array(z.string()).nullable(),
  cache_control: z.string().nullable(),
  rules: z.object({
    read: RuleText.optional(),
    create: RuleText.optional(),
    update: RuleText.optional(),
    delete: RuleText.optional(),
  }),
  created_at: IsoTime,
  updated_at: IsoTime,
}) satisfies z.ZodType<BucketRecord>;

export const BucketPageSchema = z.object({ items: z.array(BucketRecordSchema), next_cursor: z.null() });

export const DeletedBucketSchema = z.object({ name: z.string(), deleted: z.literal(true) });

export const DeletedFileSchema = z.object({ path: z.string(), deleted: z.literal(true) });

export const DeletedFilesSchema = z.object({ deleted: z.array(z.string()), not_found: z.array(z.string()) });

export const SignedUrlSchema = z.object({
  url: z.string(),
  method: z.enum(["GET", "PUT"]),
  path: z.string(),
  expires_at: IsoTime,
}) satisfies z.ZodType<SignedUrl>;

export const StorageUsageSchema = z.object({
  used_bytes: z.number().int(),
  file_count: z.number().int(),
  quota_bytes: z.number().int().nullable(),
}) satisfies z.ZodType<StorageUsage>;

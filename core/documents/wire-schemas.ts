/**
 * The documents API's responses as zod schemas, for the OpenAPI document and the checks of the
 * tests. Each one `satisfies` its plain type in ./wire.ts, so the two cannot drift apart; the SDK
 * keeps importing only those types (never this file: zod stays out of the browser bundle).
 */
import { z } from "zod";
import type {
  AggregateResult,
  BatchResult,
  ChangePage,
  CollectionInfo,
  CollectionRules,
  DeletedDocument,
  DocumentIndex,
  StoredDocument,
} from "./wire.js";

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });
const DataSchema = z.record(z.string(), z.unknown());

/** A list page: `{ items, next_cursor }` (and `total` where asked for). */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const StoredDocumentSchema = z.object({
  id: z.string(),
  data: DataSchema,
  version: z.number().int().min(1),
  created_at: IsoTime,
  updated_at: IsoTime,
}) satisfies z.ZodType<StoredDocument>;

export const DeletedDocumentSchema = z.object({
  id: z.string(),
  deleted: z.literal(true),
  version: z.number().int(),
}) satisfies z.ZodType<DeletedDocument>;

export const DocumentPageSchema = pageOf(StoredDocumentSchema).extend({ total: z.number().int().optional() });

export const CountSchema = z.object({ count: z.number().int().min(0) });

const DocumentOp = z.enum(["create", "update", "delete"]);

export const BatchResultSchema = z.union([
  StoredDocumentSchema.extend({ op: z.enum(["create", "update"]), collection: z.string() }),
  DeletedDocumentSchema.extend({ op: z.literal("delete"), collection: z.string() }),
]) satisfies z.ZodType<BatchResult>;

export const BatchResultsSchema = z.object({ results: z.array(BatchResultSchema) });

export const ChangePageSchema = z.object({
  items: z.array(
    z.object({
      seq: z.number().int(),
      op: DocumentOp,
      id: z.string(),
      data: DataSchema.nullable(),
      old_data: DataSchema.nullable(),
      created_at: IsoTime,
    }),
  ),
  next_cursor: z.string().nullable(),
  last_seq: z.number().int(),
}) satisfies z.ZodType<ChangePage>;

const AggregateValue = z.union([z.number(), z.string(), z.null()]);

export const AggregateResultSchema = z.object({
  collection: z.string(),
  operation: z.enum(["count", "sum", "avg", "min", "max"]),
  field: z.string().nullable(),
  result: AggregateValue.optional(),
  count: z.number().int().optional(),
  group_by: z.array(z.string()).optional(),
  groups: z
    .array(z.object({ key: z.record(z.string(), z.unknown()), result: AggregateValue, count: z.number().int() }))
    .optional(),
  truncated: z.boolean().optional(),
}) satisfies z.ZodType<AggregateResult>;

export const CollectionRulesSchema = z.object({
  list: z.string().optional(),
  read: z.string().optional(),
  create: z.string().optional(),
  update: z.string().optional(),
  delete: z.string().optional(),
}) satisfies z.ZodType<CollectionRules>;

/** `GET|PUT …/rules`. */
export const RulesResponseSchema = z.object({
  collection: z.string(),
  rules: CollectionRulesSchema,
  updated_at: IsoTime.nullable(),
});

/** `GET|PUT …/retention`: how much of the change feed the collection keeps. */
export const RetentionResponseSchema = z.object({
  collection: z.string(),
  max_changes: z.number().int(),
  max_age_seconds: z.number().int(),
});

export const DocumentIndexSchema = z.object({
  name: z.string(),
  fields: z.array(z.string()),
  unique: z.boolean(),
  created_at: IsoTime,
}) satisfies z.ZodType<DocumentIndex>;

export const DroppedIndexSchema = z.object({ name: z.string(), deleted: z.literal(true) });

export const CollectionInfoSchema = z.object({
  name: z.string(),
  documents: z.number().int(),
  last_seq: z.number().int(),
}) satisfies z.ZodType<CollectionInfo>;

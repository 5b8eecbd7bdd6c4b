import { z } from "zod";
import { MAX_BATCH_OPERATIONS } from "../../core/documents/limits";
import { CollectionName, DocumentId } from "../../core/documents/names";
import { ApiError } from "../../core/errors";
import { describeIssues } from "../../core/issues";
import { DataObject } from "./document";
import { FieldOperators } from "./field-operators";
import type { WriteOp, WriteResult } from "./write-ops";

const Version = z.number().int().min(1);

const Create = z.strictObject({
  op: z.literal("create"),
  id: DocumentId.optional(),
  data: DataObject,
  operators: FieldOperators.optional(),
});
const Update = z
  .strictObject({
    op: z.literal("update"),
    id: DocumentId,
    data: DataObject.optional(),
    operators: FieldOperators.optional(),
    if_match: Version.optional(),
  })
  .refine((op) => op.data !== undefined || op.operators !== undefined, "an update needs data, operators or both");
const Replace = z.strictObject({
  op: z.literal("replace"),
  id: DocumentId,
  data: DataObject,
  operators: FieldOperators.optional(),
  if_match: Version.optional(),
});
const Delete = z.strictObject({ op: z.literal("delete"), id: DocumentId, if_match: Version.optional() });

const Operation = z.discriminatedUnion("op", [Create, Update, Replace, Delete]);
/** Operations of `POST /v1/batch`, each naming its collection. */
export const CrossOperation = z.discriminatedUnion("op", [
  Create.extend({ collection: CollectionName }),
  Update.safeExtend({ collection: CollectionName }),
  Replace.extend({ collection: CollectionName }),
  Delete.extend({ collection: CollectionName }),
]);

/**
 * A batch body. Operations are validated one by one afterwards (`parseOperations`), so that an
 * invalid operation is reported with its index.
 */
export const BatchBody = z.strictObject({
  operations: z
    .array(z.unknown())
    .min(1, "a batch needs at least one operation")
    .max(MAX_BATCH_OPERATIONS, `a batch holds at most ${MAX_BATCH_OPERATIONS} operations`),
});

/** Operations of `POST /v1/collections/:collection/batch`, on the route's collection. */
export const CollectionOperation = Operation;

/**
 * Validates each operation of a batch.
 *
 * @throws {ApiError} `invalid_request` for the first invalid operation, with `details.index`,
 * `details.collection` (when `collection` is given or the operation names a valid one) and
 * `details.issues` (paths from the body's root, e.g. `operations.2.data`).
 */
export function parseOperations<S extends z.ZodType>(
  operations: readonly unknown[],
  schema: S,
  collection?: string,
): z.output<S>[] {
  return operations.map((operation, index) => {
    const result = schema.safeParse(operation);
    if (result.success) return result.data;
    const named = CollectionName.safeParse((operation as { collection?: unknown } | null)?.collection);
    const issues = describeIssues(result.error, ["operations", index]);
    throw new ApiError("invalid_request", `Operation ${index}: invalid operation (see details.issues).`, {
      index,
      collection: collection ?? (named.success ? named.data : undefined),
      issues,
    });
  });
}

type BodyOp = z.output<typeof Operation>;

/** Turns a validated batch operation into the store's write. */
export function toWriteOp(op: BodyOp, collection: string): WriteOp {
  switch (op.op) {
    case "create":
      return { op: "create", collection, id: op.id, data: op.data, operators: op.operators };
    case "update":
      return { op: "update", collection, id: op.id, data: op.data, operators: op.operators, ifMatch: op.if_match };
    case "replace":
      return { op: "replace", collection, id: op.id, data: op.data, operators: op.operators, ifMatch: op.if_match };
    case "delete":
      return { op: "delete", collection, id: op.id, ifMatch: op.if_match };
  }
}

/** One result of a batch, in operation order: the stored document, or the deleted id. */
export function batchResult(result: WriteResult) {
  if (result.op === "delete") {
    return { op: result.op, collection: result.collection, id: result.id, deleted: true, version: result.version };
  }
  return { op: result.op, collection: result.collection, ...result.document };
}

import { type Context, Hono } from "hono";
import { z } from "zod";
import { DEFAULT_COLLECTIONS_PAGE, MAX_CHANGES_PAGE, MAX_COLLECTIONS_PAGE } from "../../core/documents/limits";
import { CollectionName, CollectionParams, DocumentId, DocumentParams } from "../../core/documents/names";
import { ApiError } from "../../core/errors";
import { parseListFilter } from "../../core/query";
import { CollectionAccess } from "../../data/documents/access";
import { aggregateDocuments, parseAggregateRequest } from "../../data/documents/aggregates";
import { DataObject, etagOf, parseIfMatch, type StoredDocument } from "../../data/documents/document";
import { FieldOperators } from "../../data/documents/field-operators";
import { countDocuments, listDocuments, parseListOptions } from "../../data/documents/list-query";
import { readChanges } from "../../data/documents/outbox";
import { getDocument, listCollections } from "../../data/documents/store";
import type { WriteOp } from "../../data/documents/write-ops";
import { commitWrites } from "../../data/documents/writes";
import type { AppEnv } from "../app-env";
import { requireAuth, requireSecretKey } from "../auth/auth-context";
import { afterCommit } from "../documents/after-commit";
import { readJson, readParams, readQuery } from "../validation";

const CreateBody = z.strictObject({
  id: DocumentId.optional(),
  data: DataObject,
  operators: FieldOperators.optional(),
});
const PatchBody = z
  .strictObject({ data: DataObject.optional(), operators: FieldOperators.optional() })
  .refine((body) => body.data !== undefined || body.operators !== undefined, "send data, operators or both");
const PutBody = z.strictObject({ data: DataObject, operators: FieldOperators.optional() });

const ChangesQuery = z.object({
  since: z.coerce.number().int().min(0).optional(),
  cursor: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_CHANGES_PAGE).default(100),
});

/** `GET /v1/collections`: the cursor is the last name of the previous page. */
const CollectionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_COLLECTIONS_PAGE).default(DEFAULT_COLLECTIONS_PAGE),
  cursor: CollectionName.optional(),
});

const searchParams = (c: Context<AppEnv>) => new URL(c.req.url).searchParams;

/** Runs one write and answers with the stored document (or the deletion). */
async function write(c: Context<AppEnv>, op: WriteOp) {
  const { projectId } = c.var.auth;
  const access = await CollectionAccess.load(c.env.DB, c.var.auth, op.collection);
  const committed = await commitWrites(c.env.DB, projectId, [op], async () => access);
  afterCommit(c.env, (promise) => c.executionCtx.waitUntil(promise), projectId, committed);
  const result = committed.results[0];
  if (!result) throw new Error("commitWrites returned no result");
  if (result.op === "delete") return c.json({ id: result.id, deleted: true, version: result.version });
  c.header("ETag", etagOf(result.document.version));
  return c.json(result.document, result.op === "create" ? 201 : 200);
}

/**
 * `/v1/collections`: documents, lists, counts, aggregates and the change feed. Every route
 * authenticates; rules decide the rest (secret keys bypass them).
 */
export const documentRoutes = new Hono<AppEnv>()
  /** The project's collections (secret key). */
  .get("/", requireAuth, requireSecretKey, async (c) => {
    const query = readQuery(c, CollectionsQuery);
    return c.json(await listCollections(c.env.DB, c.var.auth.projectId, { after: query.cursor, limit: query.limit }));
  })

  .get("/:collection/documents", requireAuth, async (c) => {
    const { collection } = readParams(c, CollectionParams);
    const options = parseListOptions(searchParams(c));
    const access = await CollectionAccess.load(c.env.DB, c.var.auth, collection);
    return c.json(await listDocuments(c.env.DB, c.var.auth.projectId, collection, access, options));
  })

  .post("/:collection/documents", requireAuth, async (c) => {
    const { collection } = readParams(c, CollectionParams);
    const body = await readJson(c, CreateBody);
    return write(c, { op: "create", collection, id: body.id, data: body.data, operators: body.operators });
  })

  .get("/:collection/documents/:id", requireAuth, async (c) => {
    const { collection, id } = readParams(c, DocumentParams);
    const access = await CollectionAccess.load(c.env.DB, c.var.auth, collection);
    const document: StoredDocument | null = await getDocument(c.env.DB, c.var.auth.projectId, collection, id);
    // A document the read rule hides is reported as missing, so ids cannot be probed.
    if (!document || !access.allows("read", { doc: document.data })) {
      throw new ApiError("not_found", `No document "${id}" in collection "${collection}".`, { collection, id });
    }
    c.header("ETag", etagOf(document.version));
    return c.json(document);
  })

  .patch("/:collection/documents/:id", requireAuth, async (c) => {
    const { collection, id } = readParams(c, DocumentParams);
    const body = await readJson(c, PatchBody);
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    return write(c, { op: "update", collection, id, data: body.data, operators: body.operators, ifMatch });
  })

  .put("/:collection/documents/:id", requireAuth, async (c) => {
    const { collection, id } = readParams(c, DocumentParams);
    const body = await readJson(c, PutBody);
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    return write(c, { op: "replace", collection, id, data: body.data, operators: body.operators, ifMatch });
  })

  .delete("/:collection/documents/:id", requireAuth, async (c) => {
    const { collection, id } = readParams(c, DocumentParams);
    const ifMatch = parseIfMatch(c.req.header("If-Match"));
    return write(c, { op: "delete", collection, id, ifMatch });
  })

  /** `{ count }` of the documents matching the filter that the caller may list. */
  .get("/:collection/count", requireAuth, async (c) => {
    const { collection } = readParams(c, CollectionParams);
    const filter = parseListFilter(searchParams(c));
    const access = await CollectionAccess.load(c.env.DB, c.var.auth, collection);
    return c.json({ count: await countDocuments(c.env.DB, c.var.auth.projectId, collection, access, filter) });
  })

  .get("/:collection/aggregate", requireAuth, async (c) => {
    const { collection } = readParams(c, CollectionParams);
    const request = parseAggregateRequest(searchParams(c));
    const access = await CollectionAccess.load(c.env.DB, c.var.auth, collection);
    return c.json(await aggregateDocuments(c.env.DB, c.var.auth.projectId, collection, access, request));
  })

  /** The change feed (secret key): changes after `since`, oldest first. */
  .get("/:collection/changes", requireAuth, requireSecretKey, async (c) => {
    const { collection } = readParams(c, CollectionParams);
    const query = readQuery(c, ChangesQuery);
    const since = query.since ?? query.cursor ?? 0;
    return c.json(await readChanges(c.env.DB, c.var.auth.projectId, collection, since, query.limit));
  });

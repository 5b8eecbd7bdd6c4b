import { type Context, Hono } from "hono";
import { z } from "zod";
import { DEFAULT_COLLECTIONS_PAGE, MAX_CHANGES_PAGE, MAX_COLLECTIONS_PAGE } from "../../core/documents/limits";
import { CollectionName, CollectionParams, DocumentId, DocumentParams } from "../../core/documents/names";
import {
  AggregateResultSchema,
  ChangePageSchema,
  CollectionInfoSchema,
  CountSchema,
  DeletedDocumentSchema,
  DocumentPageSchema,
  pageOf,
  StoredDocumentSchema,
} from "../../core/documents/wire-schemas";
import { ApiError } from "../../core/errors";
import { parseListFilter } from "../../core/query";
import { AGGREGATE_OPERATIONS, parseAggregateRequest, planAggregate } from "../../data/documents/aggregates";
import { readCollection } from "../../data/documents/collection-read";
import { DataObject, etagOf, parseIfMatch, type StoredDocument } from "../../data/documents/document";
import { FieldOperators } from "../../data/documents/field-operators";
import { ListQuery, parseListOptions, planCount, planList } from "../../data/documents/list-query";
import { changesPrunedError, readChanges } from "../../data/documents/outbox";
import { documentOf, listCollections, selectDocument } from "../../data/documents/store";
import type { WriteOp } from "../../data/documents/write-ops";
import { commitWrites } from "../../data/documents/writes";
import type { AppEnv } from "../app-env";
import { afterCommit } from "../documents/after-commit";
import { route } from "../openapi/route";

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
  since: z.coerce.number().int().min(0).optional().meta({ description: "The last seq you have; 0 for all." }),
  cursor: z.coerce.number().int().min(0).optional().meta({ description: "`next_cursor` of the previous page." }),
  limit: z.coerce.number().int().min(1).max(MAX_CHANGES_PAGE).default(100),
});

/** Query parameters of a count: a `filter=` expression; every other parameter filters on a field. */
const FilterQuery = z.looseObject({
  filter: z.string().optional().meta({ description: "A filter expression (docs/filter-language.md)." }),
});

/** Query parameters of an aggregate (the filter as in a list; `limit` and `offset` are ignored). */
const AggregateQuery = FilterQuery.extend({
  operation: z.enum(AGGREGATE_OPERATIONS).optional().meta({ description: "Default `count`." }),
  field: z.string().optional().meta({ description: "A dotted field path; needed by every operation but count." }),
  group_by: z.string().optional().meta({ description: "Up to 3 comma-separated dotted field paths." }),
});

/** `If-Match: <version>`: the write applies only to that version of the document. */
const IfMatchHeaders = z.object({
  "if-match": z.string().optional().meta({ description: 'A document version: `3`, `"3"` or `W/"3"`.' }),
});

/** How a write's outcome is described. */
const ETAG = { ETag: "The document's version, for `If-Match`." };
const WRITE_ERRORS = ["forbidden", "not_found", "conflict"] as const;

/** `GET /v1/collections`: the cursor is the last name of the previous page. */
const CollectionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_COLLECTIONS_PAGE).default(DEFAULT_COLLECTIONS_PAGE),
  cursor: CollectionName.optional(),
});

const searchParams = (c: Context<AppEnv>) => new URL(c.req.url).searchParams;

/** Runs one write and answers with the stored document (or the deletion). */
async function write(c: Context<AppEnv>, op: WriteOp) {
  const { projectId } = c.var.auth;
  const committed = await commitWrites(c.env.DB, c.var.auth, [op], [c.var.standing]);
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
  .get(
    "/",
    route({
      summary: "List the project's collections",
      description: "By name; the cursor is the last name of the previous page.",
      auth: "secret",
      query: CollectionsQuery,
      responses: { 200: { description: "A page of collections.", body: pageOf(CollectionInfoSchema) } },
    }),
    async (c) => {
      const query = c.req.valid("query");
      return c.json(await listCollections(c.env.DB, c.var.auth.projectId, { after: query.cursor, limit: query.limit }));
    },
  )

  .get(
    "/:collection/documents",
    route({
      summary: "List documents",
      description:
        "Filtered, sorted and paged; the list rule applies in SQL. Parameters not listed here filter on fields: `status=active`, `price_gte=10`, `[or]tag=a` (docs/filter-language.md).",
      auth: "project",
      foldsStanding: true,
      params: CollectionParams,
      query: ListQuery,
      responses: { 200: { description: "A page of documents.", body: DocumentPageSchema } },
      errors: ["forbidden", "invalid_filter"],
    }),
    async (c) => {
      const { collection } = c.req.valid("param");
      const options = parseListOptions(searchParams(c));
      const { auth, standing } = c.var;
      return c.json(
        await readCollection(c.env.DB, auth, collection, [standing], (access) =>
          planList(c.env.DB, auth.projectId, collection, access, options),
        ),
      );
    },
  )

  .post(
    "/:collection/documents",
    route({
      summary: "Create a document",
      description: "With a generated id unless `id` is given; field operators apply on the server.",
      auth: "project",
      foldsStanding: true,
      params: CollectionParams,
      body: CreateBody,
      responses: { 201: { description: "The stored document.", body: StoredDocumentSchema, headers: ETAG } },
      errors: ["forbidden", "conflict"],
    }),
    async (c) => {
      const { collection } = c.req.valid("param");
      const body = c.req.valid("json");
      return write(c, { op: "create", collection, id: body.id, data: body.data, operators: body.operators });
    },
  )

  .get(
    "/:collection/documents/:id",
    route({
      summary: "Get a document",
      description: "A document the read rule hides is reported as missing, so ids cannot be probed.",
      auth: "project",
      foldsStanding: true,
      params: DocumentParams,
      responses: { 200: { description: "The document.", body: StoredDocumentSchema, headers: ETAG } },
      errors: ["forbidden", "not_found"],
    }),
    async (c) => {
      const { collection, id } = c.req.valid("param");
      const { auth, standing } = c.var;
      const document = await readCollection(c.env.DB, auth, collection, [standing], () => ({
        statements: [selectDocument(c.env.DB, auth.projectId, collection, id)],
        finish: ([result], access): StoredDocument | null => {
          const found = documentOf(result);
          return found && access.allows("read", { doc: found.data }) ? found : null;
        },
        rulesFree: true,
      }));
      if (!document) {
        throw new ApiError("not_found", `No document "${id}" in collection "${collection}".`, { collection, id });
      }
      c.header("ETag", etagOf(document.version));
      return c.json(document);
    },
  )

  .patch(
    "/:collection/documents/:id",
    route({
      summary: "Update a document",
      description: "Merges `data` into the document (objects deeply) and applies `operators`.",
      auth: "project",
      foldsStanding: true,
      params: DocumentParams,
      headers: IfMatchHeaders,
      body: PatchBody,
      responses: { 200: { description: "The stored document.", body: StoredDocumentSchema, headers: ETAG } },
      errors: WRITE_ERRORS,
    }),
    async (c) => {
      const { collection, id } = c.req.valid("param");
      const body = c.req.valid("json");
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      return write(c, { op: "update", collection, id, data: body.data, operators: body.operators, ifMatch });
    },
  )

  .put(
    "/:collection/documents/:id",
    route({
      summary: "Replace (or create) a document",
      auth: "project",
      foldsStanding: true,
      params: DocumentParams,
      headers: IfMatchHeaders,
      body: PutBody,
      responses: {
        200: { description: "The replaced document.", body: StoredDocumentSchema, headers: ETAG },
        201: { description: "The document did not exist: it was created.", body: StoredDocumentSchema, headers: ETAG },
      },
      errors: WRITE_ERRORS,
    }),
    async (c) => {
      const { collection, id } = c.req.valid("param");
      const body = c.req.valid("json");
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      return write(c, { op: "replace", collection, id, data: body.data, operators: body.operators, ifMatch });
    },
  )

  .delete(
    "/:collection/documents/:id",
    route({
      summary: "Delete a document",
      auth: "project",
      foldsStanding: true,
      params: DocumentParams,
      headers: IfMatchHeaders,
      responses: { 200: { description: "The deletion.", body: DeletedDocumentSchema } },
      errors: WRITE_ERRORS,
    }),
    async (c) => {
      const { collection, id } = c.req.valid("param");
      const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
      return write(c, { op: "delete", collection, id, ifMatch });
    },
  )

  .get(
    "/:collection/count",
    route({
      summary: "Count documents",
      description: "The documents matching the filter that the caller may list; parameters filter as in a list.",
      auth: "project",
      foldsStanding: true,
      params: CollectionParams,
      query: FilterQuery,
      responses: { 200: { description: "The count.", body: CountSchema } },
      errors: ["forbidden", "invalid_filter"],
    }),
    async (c) => {
      const { collection } = c.req.valid("param");
      const filter = parseListFilter(searchParams(c));
      const { auth, standing } = c.var;
      const count = await readCollection(c.env.DB, auth, collection, [standing], (access) =>
        planCount(c.env.DB, auth.projectId, collection, access, filter),
      );
      return c.json({ count });
    },
  )

  .get(
    "/:collection/aggregate",
    route({
      summary: "Aggregate documents",
      description: "count, sum, avg, min or max of a field, optionally per group, under the list rule.",
      auth: "project",
      foldsStanding: true,
      params: CollectionParams,
      query: AggregateQuery,
      responses: { 200: { description: "The result, or one per group.", body: AggregateResultSchema } },
      errors: ["forbidden", "invalid_filter"],
    }),
    async (c) => {
      const { collection } = c.req.valid("param");
      const request = parseAggregateRequest(searchParams(c));
      const { auth, standing } = c.var;
      return c.json(
        await readCollection(c.env.DB, auth, collection, [standing], (access) =>
          planAggregate(c.env.DB, auth.projectId, collection, access, request),
        ),
      );
    },
  )

  .get(
    "/:collection/changes",
    route({
      summary: "Read the change feed",
      description: "Changes after `since`, oldest first.",
      auth: "secret",
      params: CollectionParams,
      query: ChangesQuery,
      responses: { 200: { description: "A page of changes.", body: ChangePageSchema } },
      errors: ["changes_pruned"],
    }),
    async (c) => {
      const { collection } = c.req.valid("param");
      const query = c.req.valid("query");
      const since = query.since ?? query.cursor ?? 0;
      const read = await readChanges(c.env.DB, c.var.auth.projectId, collection, since, query.limit);
      if (read.pruned) throw changesPrunedError(collection, read);
      return c.json(read.page);
    },
  );

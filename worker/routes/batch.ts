import { type Context, Hono } from "hono";
import { CollectionParams } from "../../core/documents/names";
import { BatchResultsSchema } from "../../core/documents/wire-schemas";
import {
  BatchBody,
  batchResult,
  CollectionOperation,
  CrossOperation,
  parseOperations,
  toWriteOp,
} from "../../data/documents/batch";
import type { WriteOp } from "../../data/documents/write-ops";
import { commitWrites } from "../../data/documents/writes";
import type { AppEnv } from "../app-env";
import { afterCommit } from "../documents/after-commit";
import { route } from "../openapi/route";

/** What one failing operation fails the whole batch with. */
const BATCH_ERRORS = ["forbidden", "not_found", "conflict"] as const;

/** Commits a batch atomically and answers with one result per operation, in order. */
async function commitBatch(c: Context<AppEnv>, ops: WriteOp[]) {
  const { projectId } = c.var.auth;
  const committed = await commitWrites(c.env.DB, c.var.auth, ops, [c.var.standing], { batch: true });
  afterCommit(c.env, (promise) => c.executionCtx.waitUntil(promise), projectId, committed);
  return c.json({ results: committed.results.map(batchResult) });
}

/**
 * Atomic batches: every operation commits, with its change in the outbox, or none does. Each
 * operation is checked against its collection's rules as if it were sent alone.
 */
export const batchRoutes = new Hono<AppEnv>()
  .post(
    "/batch",
    route({
      summary: "Commit a batch across collections",
      description: "Each operation names its collection; all commit, or none does.",
      auth: "project",
      foldsStanding: true,
      body: BatchBody,
      responses: { 200: { description: "One result per operation, in order.", body: BatchResultsSchema } },
      errors: BATCH_ERRORS,
    }),
    async (c) => {
      const body = c.req.valid("json");
      return commitBatch(
        c,
        parseOperations(body.operations, CrossOperation).map((op) => toWriteOp(op, op.collection)),
      );
    },
  )

  .post(
    "/collections/:collection/batch",
    route({
      summary: "Commit a batch on one collection",
      description: "All operations commit, or none does.",
      auth: "project",
      foldsStanding: true,
      params: CollectionParams,
      body: BatchBody,
      responses: { 200: { description: "One result per operation, in order.", body: BatchResultsSchema } },
      errors: BATCH_ERRORS,
    }),
    async (c) => {
      const { collection } = c.req.valid("param");
      const body = c.req.valid("json");
      return commitBatch(
        c,
        parseOperations(body.operations, CollectionOperation, collection).map((op) => toWriteOp(op, collection)),
      );
    },
  );

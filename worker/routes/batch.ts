import { type Context, Hono } from "hono";
import { CollectionParams } from "../../core/documents/names";
import { CollectionAccess } from "../../data/documents/access";
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
import { requireAuth } from "../auth/auth-context";
import { afterCommit } from "../documents/after-commit";
import { readJson, readParams } from "../validation";

/** Commits a batch atomically and answers with one result per operation, in order. */
async function commitBatch(c: Context<AppEnv>, ops: WriteOp[]) {
  const { projectId } = c.var.auth;
  // Rules are loaded once per collection of the batch.
  const loaded = new Map<string, Promise<CollectionAccess>>();
  const accessFor = (collection: string) => {
    let access = loaded.get(collection);
    if (!access) {
      access = CollectionAccess.load(c.env.DB, c.var.auth, collection);
      loaded.set(collection, access);
    }
    return access;
  };
  const committed = await commitWrites(c.env.DB, projectId, ops, accessFor, { batch: true });
  afterCommit(c.env, (promise) => c.executionCtx.waitUntil(promise), projectId, committed);
  return c.json({ results: committed.results.map(batchResult) });
}

/**
 * Atomic batches: every operation commits, with its change in the outbox, or none does. Each
 * operation is checked against its collection's rules as if it were sent alone.
 */
export const batchRoutes = new Hono<AppEnv>()
  /** `POST /v1/batch`: operations across collections, each naming its collection. */
  .post("/batch", requireAuth, async (c) => {
    const body = await readJson(c, BatchBody);
    return commitBatch(
      c,
      parseOperations(body.operations, CrossOperation).map((op) => toWriteOp(op, op.collection)),
    );
  })

  /** `POST /v1/collections/:collection/batch`: operations on one collection. */
  .post("/collections/:collection/batch", requireAuth, async (c) => {
    const { collection } = readParams(c, CollectionParams);
    const body = await readJson(c, BatchBody);
    return commitBatch(
      c,
      parseOperations(body.operations, CollectionOperation, collection).map((op) => toWriteOp(op, collection)),
    );
  });

import { newDocumentId } from "../../core/documents/names";
import { ApiError } from "../../core/errors";
import type { Caller } from "../../core/query";
import { batchChecked, type Precondition } from "../d1/precondition";
import { CollectionAccess, settingsRowOf } from "./access";
import { type DocumentData, type DocumentRow, type StoredDocument, serializeDocument } from "./document";
import { applyFieldOperators } from "./field-operators";
import type { WriteOp, WriteResult } from "./write-ops";

/** What a committed set of writes produced. */
export interface CommittedWrites {
  results: WriteResult[];
  /** The last change sequence of each collection written, for the change notification. */
  sequences: Map<string, number>;
  /** How many changes each collection got, to decide when to prune its outbox. */
  changes: Map<string, number>;
}

/** Attempts before a write that keeps losing races gives up with `conflict`. */
const MAX_ATTEMPTS = 10;

/** The message the write_guards trigger aborts with (migrations/0002). */
const GUARD_MESSAGE = "flarebase_write_conflict";

/** How the writes were sent: a batch labels each error with the operation that caused it. */
export interface CommitOptions {
  batch?: boolean;
}

/**
 * Executes writes atomically: one D1 batch (a transaction) with every document change, whose
 * outbox rows the database's triggers append in the same transaction.
 *
 * Writes are optimistic. The current documents are read, the new data is computed here (merges,
 * field operators) and checked against the rules, and the batch only commits if every document
 * still has the version that was read: a guard statement aborts it otherwise. Then, for writes
 * without `ifMatch`, everything is read and computed again (with a short jittered backoff), so a
 * concurrent writer never makes an increment or a merge lose an update. An `ifMatch` that no
 * longer holds on the re-read is the caller's `409 conflict`.
 *
 * Round trips: the read (the `preconditions`, e.g. the caller's standing, the rules of every
 * collection and the current documents, in one batch) and the write. A write needs the stored
 * document before it can be computed (a merge, an increment, a rule over `doc`), so that read
 * cannot join the write's batch. Creates with generated ids read nothing: under the rules this
 * isolate last saw and with the preconditions' guards in the write batch (a revoked key or changed
 * rules abort it, and it is read and planned again), they are one trip.
 *
 * With `batch`, an error that one operation caused carries `details.index` (its position) and
 * `details.collection`, so the client knows which operation to fix.
 *
 * @throws {ApiError} `not_found` (update/delete of a missing document, or of one the read rule
 * hides), `conflict` (If-Match mismatch, id taken, unique index, or lost races `MAX_ATTEMPTS`
 * times), `forbidden` (a rule), `invalid_request` / `payload_too_large` (the resulting data).
 */
export async function commitWrites(
  db: D1Database,
  auth: Caller,
  ops: readonly WriteOp[],
  preconditions: readonly Precondition[],
  options: CommitOptions = {},
): Promise<CommittedWrites> {
  assertDistinctDocuments(ops);
  const { projectId } = auth;
  const collections = [...new Set(ops.map((op) => op.collection))];
  // Generated ids are fixed once, so a retry does not create under a second id.
  const ids = ops.map((op) => op.id ?? newDocumentId());
  let mustRead = ops.some((op) => op.id !== undefined) || !collections.every((c) => CollectionAccess.seen(auth, c));
  for (let attempt = 1; ; attempt++) {
    const { accesses, current } = mustRead
      ? await readForWrite(db, auth, collections, ops, preconditions)
      : { accesses: new Map(collections.map((c) => [c, CollectionAccess.lastSeen(auth, c)])), current: new Map() };
    let plan: Awaited<ReturnType<typeof planWrites>>;
    try {
      plan = planWrites(db, projectId, ops, ids, current, accesses, options);
    } catch (error) {
      // Refused under rules not read by this request: the current rules and documents decide.
      if (!mustRead && error instanceof ApiError) {
        mustRead = true;
        continue;
      }
      throw error;
    }
    const guards = [
      ...preconditions.map((p) => p.guard(db)),
      ...[...accesses.values()].flatMap((access) => access.precondition()?.guard(db) ?? []),
    ];
    try {
      const outcomes = await db.batch([...guards, ...plan.guards, ...plan.writes, plan.sequences]);
      const sequences = new Map<string, number>();
      for (const row of (outcomes.at(-1)?.results ?? []) as { collection: string; seq: number }[]) {
        sequences.set(row.collection, row.seq);
      }
      return { results: plan.results, sequences, changes: plan.changes };
    } catch (error) {
      const message = String((error as Error).message ?? error);
      const lostRace = message.includes(GUARD_MESSAGE) || /UNIQUE constraint failed: documents\./.test(message);
      if (lostRace && attempt < MAX_ATTEMPTS) {
        // Read again: a lost race, or what the write relied on (standing, rules) changed.
        mustRead = true;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
        continue;
      }
      if (lostRace) {
        throw new ApiError(
          "conflict",
          `The write lost ${MAX_ATTEMPTS} races with concurrent writes to the same documents; retry it.`,
        );
      }
      const unique = message.match(/UNIQUE constraint failed: index '([^']+)'/);
      if (unique) {
        const index = await db
          .prepare("SELECT collection, name FROM document_indexes WHERE project_id = ? AND sql_name = ?")
          .bind(projectId, unique[1])
          .first<{ collection: string; name: string }>();
        const conflict = new ApiError(
          "conflict",
          `The write would repeat a value that the unique index "${index?.name}" of collection "${index?.collection}" allows once.`,
          // `index_name`, not `index`: in a batch, `details.index` is the failing operation's position.
          { collection: index?.collection, index_name: index?.name },
        );
        if (!options.batch) throw conflict;
        const failing = await firstFailingWrite(db, plan.writes, unique[0]);
        throw failing === undefined ? conflict : atOperation(conflict, failing, ops[failing]?.collection as string);
      }
      throw error;
    }
  }
}

function keyOf(collection: string, id: string) {
  return `${collection}\u0000${id}`;
}

/**
 * The error of one batch operation, labelled with its position and collection. The message
 * names the operation too, for people reading logs.
 */
export function atOperation(error: ApiError, index: number, collection: string): ApiError {
  const details = typeof error.details === "object" && error.details !== null ? error.details : {};
  return new ApiError(
    error.code,
    `Operation ${index}: ${error.message}`,
    { ...details, index, collection },
    {
      status: error.status,
      cause: error,
    },
  );
}

/**
 * Which write of a batch breaks a unique index. SQLite names the index, not the statement, so
 * the writes are replayed in growing prefixes (a binary search) inside transactions that always
 * roll back: the guard table's trigger aborts each probe at its end. Runs only on the error path.
 */
async function firstFailingWrite(
  db: D1Database,
  writes: readonly D1PreparedStatement[],
  failure: string,
): Promise<number | undefined> {
  const rollback = db.prepare("INSERT INTO write_guards (reason) VALUES ('unique index probe')");
  const prefixFails = async (length: number) => {
    try {
      await db.batch([...writes.slice(0, length), rollback]);
    } catch (error) {
      return String((error as Error).message ?? error).includes(failure);
    }
    return false;
  };
  let low = 1;
  let high = writes.length;
  if (!(await prefixFails(high))) return undefined; // a concurrent write changed things
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (await prefixFails(middle)) high = middle;
    else low = middle + 1;
  }
  return low - 1;
}

function assertDistinctDocuments(ops: readonly WriteOp[]) {
  const seen = new Set<string>();
  for (const [index, op] of ops.entries()) {
    if (op.id === undefined) continue;
    const key = keyOf(op.collection, op.id);
    if (seen.has(key)) {
      throw new ApiError(
        "invalid_request",
        `Operation ${index}: "${op.collection}/${op.id}" is written again, and a batch may write each document once.`,
        { index, collection: op.collection },
      );
    }
    seen.add(key);
  }
}

/**
 * The read before a write, in one batch: the preconditions (checked: a revoked key stops here),
 * each collection's rules, and the stored rows of every document the ops name (one statement per
 * collection).
 */
async function readForWrite(
  db: D1Database,
  auth: Caller,
  collections: readonly string[],
  ops: readonly WriteOp[],
  preconditions: readonly Precondition[],
) {
  const { projectId } = auth;
  const byCollection = new Map<string, string[]>();
  for (const op of ops) {
    if (op.id === undefined) continue;
    const list = byCollection.get(op.collection) ?? [];
    list.push(op.id);
    byCollection.set(op.collection, list);
  }
  const settings = collections.map((collection) => CollectionAccess.settingsRead(db, auth, collection));
  const named = [...byCollection.keys()];
  const reads = named.map((collection) =>
    db
      .prepare(
        `SELECT id, data, version, created_at, updated_at FROM documents
         WHERE project_id = ? AND collection = ? AND id IN (SELECT value FROM json_each(?))`,
      )
      .bind(projectId, collection, JSON.stringify(byCollection.get(collection))),
  );
  const outcomes = await batchChecked(db, preconditions, [
    ...settings.filter((s): s is D1PreparedStatement => s !== null),
    ...reads,
  ]);
  const accesses = new Map<string, CollectionAccess>();
  let next = 0;
  collections.forEach((collection, i) => {
    accesses.set(
      collection,
      CollectionAccess.fromSettings(auth, collection, settings[i] ? settingsRowOf(outcomes[next++]) : null),
    );
  });
  const current = new Map<string, DocumentRow>();
  named.forEach((collection, i) => {
    for (const row of (outcomes[next + i]?.results ?? []) as DocumentRow[]) current.set(keyOf(collection, row.id), row);
  });
  return { accesses, current };
}

function planWrites(
  db: D1Database,
  projectId: string,
  ops: readonly WriteOp[],
  ids: readonly string[],
  current: Map<string, DocumentRow>,
  accesses: Map<string, CollectionAccess>,
  options: CommitOptions,
) {
  const now = new Date().toISOString();
  const guards: D1PreparedStatement[] = [];
  const writes: D1PreparedStatement[] = [];
  const results: WriteResult[] = [];
  const changes = new Map<string, number>();

  for (const [index, op] of ops.entries()) {
    const id = ids[index] as string;
    const { collection } = op;
    const access = accesses.get(collection) as CollectionAccess;
    const row = current.get(keyOf(collection, id));
    const stored = row ? (JSON.parse(row.data) as DocumentData) : undefined;
    changes.set(collection, (changes.get(collection) ?? 0) + 1);
    try {
      planOperation(op, id, row, stored, access);
    } catch (error) {
      throw options.batch && error instanceof ApiError ? atOperation(error, index, collection) : error;
    }
  }

  /** Adds one operation's statements and result, after its checks; throws what the op breaks. */
  function planOperation(
    op: WriteOp,
    id: string,
    row: DocumentRow | undefined,
    stored: DocumentData | undefined,
    access: CollectionAccess,
  ) {
    const { collection } = op;
    const notFound = () =>
      new ApiError("not_found", `No document "${id}" in collection "${collection}".`, { collection, id });
    // A document the caller may not read is missing to them, on writes as on reads, so neither
    // its version (If-Match) nor the update/delete rule's answer reveals that it exists. Where a
    // read rule could hide a document, a missing one with If-Match is not_found too (the answer a
    // hidden one gets), and a create checks its rule before the id, so a refused create is the
    // same at a free id and a taken one. Only a caller allowed to create there learns that the id
    // is taken (docs/documents.md#security-rules).
    const hidden = stored !== undefined && access.hides(stored);
    const creates = op.op === "create" || (op.op === "replace" && op.ifMatch === undefined && (!row || hidden));
    if (!creates && (hidden || (!row && op.ifMatch !== undefined && access.mayHide))) throw notFound();

    if (op.op !== "create" && op.ifMatch !== undefined && row?.version !== op.ifMatch) {
      throw new ApiError(
        "conflict",
        row
          ? `"${collection}/${id}" is at version ${row.version}, not ${op.ifMatch} (If-Match). Read it again and retry.`
          : `"${collection}/${id}" does not exist, so it cannot be at version ${op.ifMatch} (If-Match).`,
        { collection, id, expected_version: op.ifMatch, version: row?.version ?? null },
      );
    }

    if (creates) {
      const data = finalData(op.data, op, now);
      access.assert("create", { data }, id);
      if (row && hidden && op.op === "replace") throw notFound();
      if (row) {
        throw new ApiError("conflict", `A document "${id}" already exists in collection "${collection}".`, {
          collection,
          id,
        });
      }
      const text = serializeDocument(data);
      writes.push(
        db
          .prepare(
            `INSERT INTO documents (project_id, collection, id, data, version, created_at, updated_at)
             VALUES (?, ?, ?, ?, 1, ?, ?)`,
          )
          .bind(projectId, collection, id, text, now, now),
      );
      results.push({
        op: "create",
        collection,
        id,
        document: { id, data, version: 1, created_at: now, updated_at: now },
      });
      return;
    }

    if (!row || stored === undefined) throw notFound();
    guards.push(
      db
        .prepare(
          `INSERT INTO write_guards (reason) SELECT ? WHERE NOT EXISTS
           (SELECT 1 FROM documents WHERE project_id = ? AND collection = ? AND id = ? AND version = ?)`,
        )
        .bind(`${collection}/${id}`, projectId, collection, id, row.version),
    );

    if (op.op === "delete") {
      access.assert("delete", { doc: stored }, id);
      writes.push(
        db
          .prepare("DELETE FROM documents WHERE project_id = ? AND collection = ? AND id = ?")
          .bind(projectId, collection, id),
      );
      results.push({ op: "delete", collection, id, version: row.version });
      return;
    }

    const base = op.op === "update" ? { ...stored, ...op.data } : op.data;
    const data = finalData(base, op, now);
    access.assert("update", { doc: stored, data }, id);
    const text = serializeDocument(data);
    const version = row.version + 1;
    writes.push(
      db
        .prepare(
          "UPDATE documents SET data = ?, version = ?, updated_at = ? WHERE project_id = ? AND collection = ? AND id = ?",
        )
        .bind(text, version, now, projectId, collection, id),
    );
    const document: StoredDocument = { id, data, version, created_at: row.created_at, updated_at: now };
    results.push({ op: "update", collection, id, document });
  }

  const sequences = db
    .prepare(
      "SELECT collection, seq FROM collection_sequences WHERE project_id = ? AND collection IN (SELECT value FROM json_each(?))",
    )
    .bind(projectId, JSON.stringify([...changes.keys()]));
  return { guards, writes, sequences, results, changes };
}

function finalData(data: DocumentData, op: WriteOp, now: string): DocumentData {
  return op.op !== "delete" && op.operators ? applyFieldOperators(data, op.operators, now) : data;
}

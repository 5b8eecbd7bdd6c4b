/**
 * The documents benchmark's server: the real Flarebase Worker, plus `/bench/*` routes that do the
 * same work written by hand, the way an app talking to D1 directly would. Both use the one `DB`
 * binding of this workerd, so they read and write the same SQLite file.
 *
 * - `POST /bench/seed`: fills a collection fast with one INSERT … SELECT per call (the real
 *   `documents` table and its outbox triggers, so the rows are what the API would have stored).
 * - `GET /bench/list`: the filtered list as hand-written SQL (`json_extract`, ORDER BY id, LIMIT).
 * - `POST /bench/insert`: documents written by hand, one INSERT each (a D1 batch for several),
 *   into `bench_plain_documents`, the `documents` schema without the outbox triggers (or, to
 *   tell the outbox's cost from the rest, into `documents` itself, whose triggers fill the outbox).
 * - `GET /bench/plan`: SQLite's query plan of our list statement and of the hand-written one.
 */
import { CollectionAccess } from "../../data/documents/access";
import { listStatement, parseListOptions } from "../../data/documents/list-query";
import app, { ChannelObject, CollectionWatcherObject, RoomObject } from "../../worker/index";

export { ChannelObject, CollectionWatcherObject, RoomObject };

/** The same columns and key as `documents` (migrations/0002), without the triggers. */
const PLAIN_TABLE = `CREATE TABLE IF NOT EXISTS bench_plain_documents (
  project_id TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, collection, id))`;

let plainTable: Promise<unknown> | null = null;

/** The list a developer would write by hand: filter on the JSON field, stable order, one page. */
const HAND_LIST = `SELECT id, data, version, created_at, updated_at FROM documents
  WHERE project_id = ? AND collection = ? AND json_extract(data, '$.n') = ?
  ORDER BY id LIMIT ?`;

interface SeedBody {
  project_id: string;
  collection: string;
  from: number;
  count: number;
  modulo: number;
}

interface InsertBody {
  /** `plain`: bench_plain_documents (no outbox); `documents`: the real table, its outbox triggers fire. */
  table: "plain" | "documents";
  project_id: string;
  collection: string;
  documents: { id: string; data: Record<string, unknown> }[];
}

interface Row {
  id: string;
  data: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/**
 * Documents `from` … `from + count - 1` of the seed: `{ n: i % modulo, i, name, tags, score }`,
 * ids zero-padded so their order is the insertion order.
 */
async function seed(db: D1Database, body: SeedBody): Promise<Response> {
  const now = new Date().toISOString();
  await db
    .prepare(
      `WITH RECURSIVE k(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM k WHERE i < ?1 + ?2 - 1)
       INSERT INTO documents (project_id, collection, id, data, version, created_at, updated_at)
       SELECT ?3, ?4, printf('d%07d', i),
         json_object('n', i % ?5, 'i', i, 'name', 'document ' || i, 'tags', json_array('bench', 't' || (i % 7)),
           'score', (i * 7919) % 1000),
         1, ?6, ?6
       FROM k`,
    )
    .bind(body.from, body.count, body.project_id, body.collection, body.modulo, now)
    .run();
  return Response.json({ seeded: body.count });
}

async function handList(db: D1Database, params: URLSearchParams): Promise<Response> {
  const { results } = await db
    .prepare(HAND_LIST)
    .bind(params.get("project"), params.get("collection"), Number(params.get("n")), Number(params.get("limit")))
    .all<Row>();
  // The same response shape as the API's list, so both sides parse and serialize the same bytes.
  const items = results.map((row) => ({ ...row, data: JSON.parse(row.data) }));
  return Response.json({ items, next_cursor: null });
}

async function handInsert(db: D1Database, body: InsertBody): Promise<Response> {
  const now = new Date().toISOString();
  const statements = body.documents.map((doc) =>
    db
      .prepare(
        `INSERT INTO ${body.table === "documents" ? "documents" : "bench_plain_documents"} (project_id, collection, id, data, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, 1, ?, ?)`,
      )
      .bind(body.project_id, body.collection, doc.id, JSON.stringify(doc.data), now, now),
  );
  if (statements.length === 1) await statements[0]?.run();
  else await db.batch(statements);
  const documents = body.documents.map((doc) => ({ id: doc.id, data: doc.data, version: 1, created_at: now }));
  return Response.json({ results: documents }, { status: 201 });
}

/** `EXPLAIN QUERY PLAN` of our list statement (as a secret key runs it) and of the hand-written one. */
async function plans(db: D1Database, params: URLSearchParams): Promise<Response> {
  const projectId = params.get("project") ?? "";
  const collection = params.get("collection") ?? "";
  const n = Number(params.get("n"));
  const limit = Number(params.get("limit"));
  const access = await CollectionAccess.load(
    db,
    { projectId, kind: "secret", keyId: null, userId: null, role: null, claims: {} },
    collection,
  );
  const ours = listStatement(
    projectId,
    collection,
    access,
    parseListOptions(new URLSearchParams({ filter: `n = ${n}`, limit: String(limit) })),
  );
  const explain = async (sql: string, values: unknown[]) => {
    const { results } = await db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...values)
      .all<{ detail: string }>();
    return results.map((row) => row.detail).join("; ");
  };
  return Response.json({
    ours: await explain(ours.sql, ours.params),
    hand: await explain(HAND_LIST, [projectId, collection, n, limit + 1]),
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    switch (`${request.method} ${url.pathname}`) {
      case "POST /bench/seed":
        return seed(env.DB, await request.json<SeedBody>());
      case "GET /bench/list":
        return handList(env.DB, url.searchParams);
      case "POST /bench/insert":
        // Once per isolate, so the timed inserts run one statement each.
        plainTable ??= env.DB.prepare(PLAIN_TABLE).run();
        await plainTable;
        return handInsert(env.DB, await request.json<InsertBody>());
      case "GET /bench/plan":
        return plans(env.DB, url.searchParams);
      default:
        return app.fetch(request, env, ctx);
    }
  },
} satisfies ExportedHandler<Env>;

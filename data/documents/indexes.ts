import { z } from "zod";
import { MAX_INDEXES_PER_COLLECTION } from "../../core/documents/limits";
import { COLLECTION_NAME } from "../../core/documents/names";
import type { DocumentIndex } from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import { FIELD_SEGMENT, MAX_PATH_SEGMENTS } from "../../core/query";
import { sha256Hex } from "../../core/random";
import { jsonPathLiteral } from "../query/compile-sql";

/** Index names as users give them. */
const INDEX_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
/** Project ids as createProject makes them; checked again because they are written into DDL. */
const PROJECT_ID = /^[a-z0-9]{1,64}$/;

/** SQLite's name for the index of the documents table's PRIMARY KEY (migrations/0002). */
const PRIMARY_KEY_INDEX = "sqlite_autoindex_documents_1";

/** Most fields in one index. */
export const MAX_INDEX_FIELDS = 5;

const IndexField = z
  .string()
  .max(256)
  .refine((path) => {
    const segments = path.split(".");
    return segments.length <= MAX_PATH_SEGMENTS && segments.every((segment) => FIELD_SEGMENT.test(segment));
  }, "index fields are dotted names of letters, digits and _");

/** `POST …/indexes` body. */
export const CreateIndexBody = z.strictObject({
  name: z.string().regex(INDEX_NAME, "index names: a letter, then letters, digits or _ (at most 40)").optional(),
  fields: z.array(IndexField).min(1).max(MAX_INDEX_FIELDS),
  unique: z.boolean().default(false),
});

interface IndexRow {
  name: string;
  sql_name: string;
  fields: string;
  is_unique: number;
  created_at: string;
}

const toIndex = (row: IndexRow): DocumentIndex => ({
  name: row.name,
  fields: JSON.parse(row.fields) as string[],
  unique: row.is_unique === 1,
  created_at: row.created_at,
});

/**
 * DDL cannot bind parameters, so everything written into it is checked against a strict pattern
 * right here, whatever the caller already validated: identifiers and ids only, never a quote.
 */
function assertSafe(projectId: string, collection: string, fields: readonly string[]) {
  if (!PROJECT_ID.test(projectId)) throw new Error(`indexes: unexpected project id ${JSON.stringify(projectId)}`);
  if (!COLLECTION_NAME.test(collection))
    throw new Error(`indexes: unexpected collection ${JSON.stringify(collection)}`);
  for (const field of fields) {
    if (!field.split(".").every((segment) => FIELD_SEGMENT.test(segment))) {
      throw new Error(`indexes: unexpected field ${JSON.stringify(field)}`);
    }
  }
}

/**
 * The DDL of an index: a partial expression index over exactly the expressions the filter
 * compiler writes (`json_extract(data, '$.a.b')`), restricted to one project and collection so
 * it costs nothing to other collections' writes and never reveals or mixes their rows. The id
 * comes last, so an equality on the fields is followed by the list's own tiebreak.
 */
export function indexDdl(
  sqlName: string,
  projectId: string,
  collection: string,
  fields: readonly string[],
  unique: boolean,
) {
  assertSafe(projectId, collection, fields);
  const columns = fields.map((field) => `json_extract(data, ${jsonPathLiteral(field.split("."))})`);
  if (!unique) columns.push("id");
  return (
    `CREATE ${unique ? "UNIQUE " : ""}INDEX "${sqlName}" ON documents (${columns.join(", ")}) ` +
    `WHERE project_id = '${projectId}' AND collection = '${collection}'`
  );
}

/** The stored name of an index: fixed-length, unique per project, collection and name. */
async function sqlNameOf(projectId: string, collection: string, name: string) {
  return `fbx_${projectId}_${(await sha256Hex(`${collection}\u0000${name}`)).slice(0, 16)}`;
}

/** The indexes of a collection, by name. */
export async function listIndexes(db: D1Database, projectId: string, collection: string): Promise<DocumentIndex[]> {
  const { results } = await db
    .prepare(
      `SELECT name, sql_name, fields, is_unique, created_at FROM document_indexes
       WHERE project_id = ? AND collection = ? ORDER BY name`,
    )
    .bind(projectId, collection)
    .all<IndexRow>();
  return results.map(toIndex);
}

/**
 * Creates an index on fields of a collection's documents (built at once, over the existing
 * documents). The name defaults to the fields joined by `_`.
 *
 * @throws {ApiError} `conflict` when the name is taken, or a unique index meets duplicates;
 * `invalid_request` over `MAX_INDEXES_PER_COLLECTION`.
 */
export async function createIndex(
  db: D1Database,
  projectId: string,
  collection: string,
  body: z.output<typeof CreateIndexBody>,
): Promise<DocumentIndex> {
  const name = body.name ?? body.fields.join("_").replaceAll(".", "_").slice(0, 40);
  if (!INDEX_NAME.test(name)) throw new ApiError("invalid_request", `Give the index a name: "${name}" is not valid.`);
  const existing = await listIndexes(db, projectId, collection);
  if (existing.some((index) => index.name === name)) {
    throw new ApiError("conflict", `Collection "${collection}" already has an index named "${name}".`, { name });
  }
  if (existing.length >= MAX_INDEXES_PER_COLLECTION) {
    throw new ApiError(
      "invalid_request",
      `Collection "${collection}" already has ${existing.length} indexes, the most allowed: every index slows every write.`,
      { max_indexes: MAX_INDEXES_PER_COLLECTION },
    );
  }
  const sqlName = await sqlNameOf(projectId, collection, name);
  const createdAt = new Date().toISOString();
  try {
    await db.batch([
      db
        .prepare(
          `INSERT INTO document_indexes (project_id, collection, name, sql_name, fields, is_unique, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(projectId, collection, name, sqlName, JSON.stringify(body.fields), body.unique ? 1 : 0, createdAt),
      db.prepare(indexDdl(sqlName, projectId, collection, body.fields, body.unique)),
    ]);
  } catch (error) {
    const message = String((error as Error).message);
    if (message.includes("UNIQUE constraint failed: index") || /UNIQUE constraint failed: documents/.test(message)) {
      throw new ApiError(
        "conflict",
        `Documents of "${collection}" already repeat values of ${body.fields.join(", ")}: a unique index cannot be built.`,
      );
    }
    if (message.includes("UNIQUE constraint failed: document_indexes")) {
      throw new ApiError("conflict", `Collection "${collection}" already has an index named "${name}".`, { name });
    }
    throw error;
  }
  // Without statistics SQLite guesses, and for a list ordered by id it guesses the primary key
  // (no sort needed) over a selective index. Statistics of the new index alone are not enough:
  // SQLite then weighs the index's true rows per value (say 100) against its default guess for
  // the primary key's (project_id, collection) prefix (about 10 rows), and scans the whole
  // collection whenever more than ~10 documents share a value. So the primary key gets
  // statistics too (one pass over it, like building the partial index). Best effort: the index
  // works without them.
  for (const index of [sqlName, PRIMARY_KEY_INDEX]) {
    await db
      .prepare(`ANALYZE "${index}"`)
      .run()
      .catch((error) => console.warn(`ANALYZE ${index} failed; the query planner will guess:`, error));
  }
  return { name, fields: body.fields, unique: body.unique, created_at: createdAt };
}

/**
 * Drops an index by name.
 *
 * @throws {ApiError} `not_found` when the collection has no such index.
 */
export async function dropIndex(db: D1Database, projectId: string, collection: string, name: string): Promise<void> {
  const row = await db
    .prepare("SELECT sql_name FROM document_indexes WHERE project_id = ? AND collection = ? AND name = ?")
    .bind(projectId, collection, name)
    .first<{ sql_name: string }>();
  if (!row) throw new ApiError("not_found", `Collection "${collection}" has no index named "${name}".`, { name });
  await dropBySqlName(db, projectId, [row.sql_name]);
}

/**
 * Drops every index of a project. Deleting a project cascades its rows, but not its partial
 * indexes, so `deleteProject` calls this first (they would otherwise stay behind, empty, in the
 * schema, and every later write to documents would still test their conditions).
 */
export async function dropProjectIndexes(db: D1Database, projectId: string): Promise<number> {
  const { results } = await db
    .prepare("SELECT sql_name FROM document_indexes WHERE project_id = ?")
    .bind(projectId)
    .all<{ sql_name: string }>();
  if (results.length > 0)
    await dropBySqlName(
      db,
      projectId,
      results.map((row) => row.sql_name),
    );
  return results.length;
}

async function dropBySqlName(db: D1Database, projectId: string, sqlNames: string[]) {
  const statements: D1PreparedStatement[] = [];
  for (const sqlName of sqlNames) {
    // Stored names are made by sqlNameOf; check anyway before writing one into DDL.
    if (!/^fbx_[a-z0-9]+_[0-9a-f]{16}$/.test(sqlName)) throw new Error(`indexes: unexpected index name ${sqlName}`);
    statements.push(db.prepare(`DROP INDEX IF EXISTS "${sqlName}"`));
    statements.push(
      db.prepare("DELETE FROM document_indexes WHERE project_id = ? AND sql_name = ?").bind(projectId, sqlName),
    );
  }
  await db.batch(statements);
}

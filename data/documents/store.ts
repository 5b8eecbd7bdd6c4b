import type { CollectionInfo } from "../../core/documents/wire";
import { type DocumentRow, type StoredDocument, toDocument } from "./document";

/** The statement that reads one document's row (for use inside a batch; `documentOf` reads it). */
export function selectDocument(db: D1Database, projectId: string, collection: string, id: string) {
  return db
    .prepare(
      `SELECT id, data, version, created_at, updated_at FROM documents
       WHERE project_id = ? AND collection = ? AND id = ?`,
    )
    .bind(projectId, collection, id);
}

/** The document a {@link selectDocument} read, or null when there is none. */
export function documentOf(result: D1Result | undefined): StoredDocument | null {
  const row = result?.results[0] as DocumentRow | undefined;
  return row ? toDocument(row) : null;
}

/** One document, or null when the collection has no document with this id. */
export async function getDocument(
  db: D1Database,
  projectId: string,
  collection: string,
  id: string,
): Promise<StoredDocument | null> {
  return documentOf(await selectDocument(db, projectId, collection, id).all());
}

/**
 * One page of a project's collections: every collection that has been written to or has
 * settings, ordered by name, after the name `after` (a keyset cursor, so a page is never skipped
 * or repeated while collections appear). Counting runs over the primary key, one range per
 * collection of the page.
 */
export async function listCollections(
  db: D1Database,
  projectId: string,
  page: { after?: string | undefined; limit: number },
): Promise<{ items: CollectionInfo[]; next_cursor: string | null }> {
  const { results } = await db
    .prepare(
      `SELECT c.collection AS name,
         (SELECT count(*) FROM documents d WHERE d.project_id = ?1 AND d.collection = c.collection) AS documents,
         coalesce((SELECT s.seq FROM collection_sequences s WHERE s.project_id = ?1 AND s.collection = c.collection), 0) AS last_seq
       FROM (SELECT collection FROM collection_sequences WHERE project_id = ?1 AND collection > ?2
             UNION SELECT collection FROM collection_settings WHERE project_id = ?1 AND collection > ?2) c
       ORDER BY c.collection LIMIT ?3`,
    )
    .bind(projectId, page.after ?? "", page.limit + 1)
    .all<CollectionInfo>();
  const items = results.slice(0, page.limit);
  return { items, next_cursor: results.length > page.limit ? (items.at(-1)?.name ?? null) : null };
}

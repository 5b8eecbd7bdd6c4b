import { ApiError } from "../../core/errors";
import type { FileList } from "../../core/files/wire";
import type { AuthValues, FilterNode } from "../../core/query";
import { codePointLength } from "../../core/query/values";
import { compileFilter } from "../query";
import { type FileRow, toFileRecord } from "./files";

export interface ListFilesOptions {
  projectId: string;
  bucket: string;
  /** Only paths starting with this text (not necessarily a folder: `photos/2024-`). */
  prefix: string;
  /** Group paths by their next `/` after the prefix into folders. */
  delimiter: "/" | null;
  /** `next_cursor` of the previous page, or null. */
  cursor: string | null;
  limit: number;
  /** The read rule (TRUE when reads are open), ANDed into the SQL. */
  condition: FilterNode;
  auth: AuthValues;
  origin?: string;
}

const COLUMNS =
  "f.project_id, f.bucket, f.path, f.id, f.size, f.content_type, f.etag, f.metadata, f.uploaded_by, f.created_at, f.updated_at";

/**
 * One page of a bucket's files in path order (code-point order, as SQLite compares UTF-8), read
 * from D1 with the read rule compiled into the WHERE clause, so a page only ever holds readable
 * files and a folder only appears when it holds one. The cursor is the last entry (a path, or a
 * folder's prefix): the next page starts after it, whatever was written in between.
 */
export async function listFiles(db: D1Database, options: ListFilesOptions): Promise<FileList> {
  const after = options.cursor === null ? null : decodeListCursor(options.cursor);
  const rule = compileFilter(options.condition, { column: "f.attrs", auth: options.auth });
  const range = prefixRange(options.prefix);
  const where = [`f.project_id = ?`, `f.bucket = ?`, `f.path >= ?`];
  const params: unknown[] = [options.projectId, options.bucket, options.prefix];
  if (range !== null) {
    where.push("f.path < ?");
    params.push(range);
  }
  where.push(rule.sql);
  params.push(...rule.params);

  let sql: string;
  if (options.delimiter === null) {
    if (after !== null) {
      where.push("f.path > ?");
      params.push(after);
    }
    sql = `SELECT f.path AS entry, ${COLUMNS} FROM files f WHERE ${where.join(" AND ")} ORDER BY f.path LIMIT ?`;
  } else {
    // Everything after the prefix up to and including the next delimiter names a folder.
    const skip = codePointLength(options.prefix);
    const rest = `substr(f.path, ${skip + 1})`;
    const entry = `CASE WHEN instr(${rest}, '/') > 0 THEN substr(f.path, 1, ${skip} + instr(${rest}, '/')) ELSE f.path END`;
    const inner = `SELECT ${entry} AS entry, ${COLUMNS} FROM files f WHERE ${where.join(" AND ")}`;
    const cursorTest = after === null ? "" : "WHERE entry > ?";
    if (after !== null) params.push(after);
    // A file's group is itself (its path has no delimiter after the prefix), so its bare columns
    // are its own; a folder's group is used for its prefix only.
    sql = `SELECT * FROM (${inner}) ${cursorTest} GROUP BY entry ORDER BY entry LIMIT ?`;
  }
  params.push(options.limit + 1);

  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<FileRow & { entry: string }>();
  const page = results.slice(0, options.limit);
  const list: FileList = { items: [], folders: [], next_cursor: null };
  for (const row of page) {
    if (options.delimiter !== null && row.entry.endsWith("/")) list.folders.push({ prefix: row.entry });
    else list.items.push(toFileRecord(row, options.origin));
  }
  const last = page.at(-1);
  if (results.length > options.limit && last) list.next_cursor = encodeListCursor(last.entry);
  return list;
}

/**
 * The smallest string above every string that starts with `prefix` (its last code point plus
 * one), or null when there is none (empty prefix, or nothing above U+10FFFF): with `path >= prefix`
 * it bounds the primary-key range scan exactly.
 */
function prefixRange(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1; // skip the surrogate range
      return points.join("") + String.fromCodePoint(next);
    }
  }
  return null;
}

function encodeListCursor(entry: string): string {
  const bytes = new TextEncoder().encode(entry);
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function decodeListCursor(cursor: string): string {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    throw new ApiError("invalid_request", "The cursor is not valid. Pass next_cursor back unchanged.");
  }
}

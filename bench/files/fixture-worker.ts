/**
 * The files benchmark's server: the real Flarebase Worker, plus `/bench/*` routes that do the
 * same work by hand, the way a minimal Worker streaming straight to and from R2 would: no
 * credentials, rules, D1 rows or headers beyond the body's. Both use the one `BUCKET` (and `DB`)
 * binding of this workerd.
 *
 * - `PUT /bench/raw/<key>`: `BUCKET.put(key, request.body)`.
 * - `GET /bench/raw/<key>`: `BUCKET.get(key)` streamed back.
 * - `POST /bench/seed-files`: inserts file rows (no bytes) for the list benchmark, in one statement.
 * - `GET /bench/list`: the first page of a bucket's rows as hand-written SQL.
 */
import app, { ChannelObject, CollectionWatcherObject, RoomObject, UploadObject } from "../../worker/index";

export { ChannelObject, CollectionWatcherObject, RoomObject, UploadObject };

const RAW = "/bench/raw/";

interface SeedBody {
  project_id: string;
  bucket: string;
  count: number;
}

/** `count` rows `dir-<i % 100>/file-<i>.txt` of 1 KB, as uploads would have recorded them. */
async function seedFiles(db: D1Database, body: SeedBody): Promise<Response> {
  await db
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?3)
       INSERT INTO files (project_id, bucket, path, id, size, content_type, etag, metadata, uploaded_by, created_at, updated_at)
       SELECT ?1, ?2, printf('dir-%02d/file-%05d.txt', i % 100, i), printf('seed%016d', i), 1024, 'text/plain',
         'etag', '{}', NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM n`,
    )
    .bind(body.project_id, body.bucket, body.count)
    .run();
  return Response.json({ seeded: body.count });
}

/** What a developer would write by hand for one page of a bucket's listing. */
async function handList(db: D1Database, params: URLSearchParams): Promise<Response> {
  const { results } = await db
    .prepare(
      `SELECT path, id, size, content_type, etag, metadata, created_at, updated_at FROM files
       WHERE project_id = ? AND bucket = ? ORDER BY path LIMIT ?`,
    )
    .bind(params.get("project"), params.get("bucket"), Number(params.get("limit") ?? 100))
    .all();
  return Response.json({ items: results });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith(RAW)) {
      const key = `bench-raw/${url.pathname.slice(RAW.length)}`;
      if (request.method === "PUT") {
        const stored = await env.BUCKET.put(key, request.body ?? new Uint8Array(0));
        return Response.json({ size: stored?.size ?? 0 });
      }
      const object = await env.BUCKET.get(key);
      if (!object) return new Response("not found", { status: 404 });
      // The same type ours sends, so the local proxy treats both bodies alike.
      return new Response(object.body, {
        headers: { "Content-Type": "application/octet-stream", "Content-Length": String(object.size) },
      });
    }
    switch (`${request.method} ${url.pathname}`) {
      case "POST /bench/seed-files":
        return seedFiles(env.DB, await request.json<SeedBody>());
      case "GET /bench/list":
        return handList(env.DB, url.searchParams);
      default:
        return app.fetch(request, env, ctx);
    }
  },
} satisfies ExportedHandler<Env>;

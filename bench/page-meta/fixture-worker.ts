/**
 * The page-meta benchmark's server: the real Flarebase Worker, plus one route that serves a
 * site's HTML page from R2 the way the site server does, with or without page meta, so the two
 * differ only by `applyPageMeta` (the match lookup, the document read, the streaming rewrite).
 *
 * - `PUT /bench/page`: stores the page's HTML in R2.
 * - `GET /bench/plain/<path>`: the page, as built.
 * - `GET /bench/rewritten/<path>`: the page through an HTMLRewriter with no handlers (what any
 *   streaming rewrite costs: the body re-chunked, its length unknown), the floor of injection.
 * - `GET /bench/meta/<path>?project=&site=`: the page through `applyPageMeta` for `<path>`, with
 *   the D1 round trips it made in `X-D1-Round-Trips` (so the table can say which rows query).
 */

import { countRoundTrips } from "../../data/d1/round-trips";
import app, { ChannelObject, CollectionWatcherObject, RoomObject, UploadObject } from "../../worker/index";
import { applyPageMeta } from "../../worker/sites/meta/apply-page-meta";

export { ChannelObject, CollectionWatcherObject, RoomObject, UploadObject };

const PAGE_KEY = "bench-page-meta/index.html";

async function page(env: Env): Promise<Response> {
  const object = await env.BUCKET.get(PAGE_KEY);
  if (!object) return new Response("no page: PUT /bench/page first", { status: 404 });
  return new Response(object.body, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": String(object.size),
      ETag: object.httpEtag,
    },
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "PUT" && url.pathname === "/bench/page") {
      await env.BUCKET.put(PAGE_KEY, await request.text());
      return Response.json({ stored: true });
    }
    if (url.pathname.startsWith("/bench/plain/")) return page(env);
    if (url.pathname.startsWith("/bench/rewritten/")) {
      const built = await page(env);
      const headers = new Headers(built.headers);
      headers.delete("Content-Length");
      return new HTMLRewriter().transform(new Response(built.body, { headers }));
    }
    if (url.pathname.startsWith("/bench/meta/")) {
      const path = url.pathname.slice("/bench/meta".length);
      const target = {
        projectId: url.searchParams.get("project") ?? "",
        site: url.searchParams.get("site") ?? "",
        path,
      };
      let trips = 0;
      const counted = { ...env, DB: countRoundTrips(env.DB, () => trips++) };
      const response = await applyPageMeta(counted, target, await page(env));
      const headers = new Headers(response.headers);
      headers.set("X-D1-Round-Trips", String(trips));
      return new Response(response.body, { status: response.status, headers });
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

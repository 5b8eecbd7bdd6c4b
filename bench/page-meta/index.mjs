/**
 * Page-meta benchmark (`npm run bench -- page-meta`): one built SPA page served from local R2 as
 * it is, and the same page through page meta (bench/page-meta/fixture-worker.ts), in the same
 * workerd, requests alternating between the two:
 * - an exact record (its match cached in the isolate after the first request: no query);
 * - a pattern (`/products/:id`, each request a new id: a cached match per path, so mostly a query);
 * - a document-bound pattern (`/posts/:id`: one document read per request, never cached).
 * A fourth row is the floor: the page through an HTMLRewriter with no handlers, which is what
 * streaming any rewrite costs (the body re-chunked, its length unknown). The figure to read is
 * the added p50 over the page as built (target: under 1 ms), and over that floor.
 */
import { percentile, round, withBenchServer } from "../local-server.mjs";

export const name = "page-meta";
export const description =
  "an HTML page from local R2 with page meta injected (exact, pattern, document-bound) vs the same page as built, same workerd";

const CONFIG = "bench/page-meta/wrangler.toml";
const SAMPLES = 200;
const WARMUP = 30;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Shop</title>
    <meta name="description" content="The shop">
    <meta property="og:title" content="Shop">
    <link rel="stylesheet" href="/assets/index.4f2a.css">
    <script type="module" src="/assets/index.9c1e.js"></script>
  </head>
  <body>
    <div id="root"></div>
    ${"<!-- padding like a real build's inline SVG sprites and preload hints -->\n".repeat(60)}
  </body>
</html>`;

export async function run() {
  return withBenchServer(CONFIG, async ({ url, project }) => {
    const secret = { "X-API-Key": project.keys.secret, "Content-Type": "application/json" };
    const call = async (method, path, body) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: secret,
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };
    await call("PUT", "/bench/page", PAGE);
    await call("POST", "/v1/sites", { name: "shop" });
    await call("PUT", "/v1/collections/posts/rules", { read: "doc.published == true" });
    await call("PUT", "/v1/sites/shop/page-meta", {
      path: "/about",
      title: "About the shop",
      description: "Who we are",
      image: "https://cdn.example/about.png",
      canonical: "https://shop.example/about",
      json_ld: { "@context": "https://schema.org", "@type": "Organization", name: "Shop" },
    });
    await call("PUT", "/v1/sites/shop/page-meta", { path: "/products/:id", title: "A product", og_type: "product" });
    await call("PUT", "/v1/sites/shop/page-meta", {
      path: "/posts/:id",
      og_type: "article",
      document: { collection: "posts", id: ":id", fields: { title: "data.title", description: "data.summary" } },
    });
    const posts = 20;
    for (let index = 0; index < posts; index++) {
      await call("PUT", `/v1/collections/posts/documents/post-${index}`, {
        data: { published: true, title: `Post ${index}`, summary: `The summary of post ${index}` },
      });
    }

    const query = `?project=${project.id}&site=shop`;
    const cases = [
      {
        label: "floor: empty HTMLRewriter",
        path: () => "/about",
        expect: "<title>Shop</title>",
        route: "/bench/rewritten",
      },
      { label: "exact path (match cached)", path: () => "/about", expect: "About the shop" },
      { label: "pattern (/products/:id)", path: (i) => `/products/${i}`, expect: "A product" },
      { label: "document-bound (/posts/:id)", path: (i) => `/posts/post-${i % posts}`, expect: "Post " },
    ];
    let trips = 0;
    const timeGet = async (path, expected) => {
      const started = performance.now();
      const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      const elapsed = performance.now() - started;
      if (response.status !== 200 || !text.includes(expected)) throw new Error(`GET ${path}: unexpected page`);
      trips += Number(response.headers.get("X-D1-Round-Trips") ?? 0);
      return elapsed;
    };

    const rows = [];
    for (const { label, path, expect, route = "/bench/meta" } of cases) {
      const plain = [];
      const injected = [];
      trips = 0;
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        // Alternate which goes first, so neither side always runs on a warmer isolate.
        const order = i % 2 === 0 ? ["plain", "meta"] : ["meta", "plain"];
        for (const side of order) {
          const ms =
            side === "plain"
              ? await timeGet(`/bench/plain${path(i)}`, "<title>Shop</title>")
              : await timeGet(`${route}${path(i)}${query}`, expect);
          if (i >= WARMUP) (side === "plain" ? plain : injected).push(ms);
        }
      }
      plain.sort((a, b) => a - b);
      injected.sort((a, b) => a - b);
      const p50 = (values) => percentile(values, 50);
      const p99 = (values) => percentile(values, 99);
      rows.push({
        case: label,
        "as built p50 ms": round(p50(plain), 2),
        "as built p99 ms": round(p99(plain), 2),
        "with meta p50 ms": round(p50(injected), 2),
        "with meta p99 ms": round(p99(injected), 2),
        "added p50 ms": round(p50(injected) - p50(plain), 2),
        "D1 trips / request": round(trips / (WARMUP + SAMPLES), 2),
      });
    }
    return rows;
  });
}

// Page meta end to end: the SDK's calls against the real `wrangler dev` of global-setup.ts, then a
// crawler's view: the built CLI (dist/cli/flarebase.js, `npm test` builds it) deploys the fixture
// SPA, and a plain HTTP GET of a deep link (no JavaScript runs) reads the deep link's title,
// description, Open Graph tags and JSON-LD, taken from a document.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FlarebaseError, pageMeta } from "../../sdk/index";
import { baseUrl, createTestProject } from "./helpers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "dist/cli/flarebase.js");
const FIXTURE = join(ROOT, "test/fixtures/site-app");

/** Runs `flarebase deploy` of the fixture app with the project's secret key; resolves its exit code and output. */
function deployFixture(site: string, secretKey: string) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, "deploy", FIXTURE, "--site", site],
      { env: { ...process.env, FLAREBASE_URL: baseUrl(), FLAREBASE_SECRET_KEY: secretKey }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

/** What a crawler does: one GET of the page with a Host header (Node's fetch cannot set one), no JavaScript. */
function crawl(host: string, path: string) {
  const url = new URL(baseUrl());
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const headers = { Host: host, Accept: "text/html", "User-Agent": "Twitterbot/1.0" };
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`GET ${path}: no answer in 15 s`)));
    req.end();
  });
}

/** The `content` of every `<meta>` with this `name` or `property`, read from raw HTML as a crawler's parser would. */
function metaContents(html: string, key: string): string[] {
  const tags = html.match(/<meta\b[^>]*>/gi) ?? [];
  return tags
    .filter((tag) => new RegExp(`\\b(?:name|property)="${key}"`, "i").test(tag))
    .map((tag) => decode(tag.match(/\bcontent="([^"]*)"/i)?.[1] ?? ""));
}

const decode = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** A project with one site, made over REST with the secret key. */
async function siteProject(site = "www") {
  const setup = await createTestProject();
  await setup.secretClient.request("POST", "/v1/sites", { body: { name: site } });
  return { ...setup, site };
}

describe("page meta through the SDK", () => {
  it("the seed's calls: setPageMeta, batchSetPageMeta, listPageMetas, getPageMeta, deletePageMeta", async () => {
    const { secretClient, site } = await siteProject();
    const meta = pageMeta(secretClient);
    expect(pageMeta(secretClient)).toBe(meta);

    const record = await meta.setPageMeta(site, {
      path: "/products/123",
      title: "최신 스마트폰",
      description: "최고의 성능, 최저가 보장",
      image: "https://example.com/product.jpg",
      og_type: "product",
      json_ld: JSON.stringify({ "@context": "https://schema.org", "@type": "Product", name: "스마트폰" }),
      robots_noindex: false,
    });
    expect(record).toMatchObject({
      path: "/products/123",
      pattern: false,
      json_ld: { "@context": "https://schema.org", "@type": "Product", name: "스마트폰" },
    });

    const { items } = await meta.batchSetPageMeta(site, {
      pages: [
        { path: "/products/1", title: "상품 1", description: "설명 1" },
        { path: "/products/2", title: "상품 2", description: "설명 2" },
      ],
    });
    expect(items.map((item) => item.title)).toEqual(["상품 1", "상품 2"]);

    const first = await meta.listPageMetas(site, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const rest = await meta.listPageMetas(site, { cursor: first.next_cursor as string });
    expect([...first.items, ...rest.items].map((item) => item.path).sort()).toEqual([
      "/products/1",
      "/products/123",
      "/products/2",
    ]);

    expect(await meta.getPageMeta(site, "/products/1")).toMatchObject({ title: "상품 1" });
    expect(await meta.deletePageMeta(site, "/products/123")).toEqual({ path: "/products/123", deleted: true });
    const missing = await meta.getPageMeta(site, "/products/123").catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(FlarebaseError);
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
  });

  it("the admin client manages any project's page meta; a public key may not", async () => {
    const { admin, project, publicClient, site } = await siteProject();
    await admin.pageMeta(project.id).setPageMeta(site, { path: "/posts/:id", title: "A post" });
    const { items } = await admin.pageMeta(project.id).listPageMetas(site);
    expect(items).toMatchObject([{ path: "/posts/:id", pattern: true, title: "A post" }]);
    const refused = await pageMeta(publicClient)
      .listPageMetas(site)
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 403, code: "forbidden" });
  });
});

describe("a crawler of a deployed SPA", () => {
  it("sees a deep link's title, description, Open Graph tags and JSON-LD, from its document", async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does).`);
    const { project, secretClient } = await createTestProject();
    const deployed = await deployFixture("blog", project.keys.secret);
    expect(deployed.output).not.toContain("Error");
    expect(deployed.code).toBe(0);

    await secretClient.request("PUT", "/v1/collections/posts/rules", { body: { read: "doc.published == true" } });
    const post = {
      published: true,
      title: `Seven "tips" & <tricks>`,
      summary: "Why the seventh post matters",
      cover: "https://cdn.example/posts/7.png",
      schema: { "@context": "https://schema.org", "@type": "BlogPosting", headline: "Seven tips </script>" },
    };
    await secretClient.request("PUT", "/v1/collections/posts/documents/7", { body: { data: post } });
    await pageMeta(secretClient).setPageMeta("blog", {
      path: "/posts/:id",
      og_type: "article",
      canonical: "https://blog.example/posts",
      document: {
        collection: "posts",
        id: ":id",
        fields: { title: "data.title", description: "data.summary", image: "data.cover", json_ld: "data.schema" },
      },
    });

    const host = `blog--${project.id}.localhost:${new URL(baseUrl()).port}`;
    const page = await crawl(host, "/posts/7");
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>Seven &quot;tips&quot; &amp; &lt;tricks&gt;</title>");
    expect(metaContents(page.body, "description")).toEqual([post.summary]);
    expect(metaContents(page.body, "og:title")).toEqual([post.title]);
    expect(metaContents(page.body, "og:description")).toEqual([post.summary]);
    expect(metaContents(page.body, "og:image")).toEqual([post.cover]);
    expect(metaContents(page.body, "og:type")).toEqual(["article"]);
    expect(metaContents(page.body, "og:url")).toEqual(["https://blog.example/posts"]);
    expect(metaContents(page.body, "twitter:card")).toEqual(["summary_large_image"]);
    const jsonLd = [...page.body.matchAll(/<script type="application\/ld\+json">([^<]*)<\/script>/g)].map((m) => m[1]);
    expect(jsonLd.map((text) => JSON.parse(text as string))).toEqual([post.schema]);
    // The app itself is untouched: its bundle still loads for browsers.
    expect(page.body).toContain('<script type="module" src="/assets/app.3f9a1b2c.js">');

    // A draft is not the public's: its deep link is served as built.
    await secretClient.request("PUT", "/v1/collections/posts/documents/8", {
      body: { data: { ...post, published: false } },
    });
    const draft = await crawl(host, "/posts/8");
    expect(draft.status).toBe(200);
    expect(draft.body).toContain("<title>Fixture app</title>");
    expect(draft.body).not.toContain("Seven");
  });
});

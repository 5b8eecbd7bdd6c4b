import { describe, expect, it } from "vitest";
import { api } from "./helpers";
import { deploy, NAVIGATION, SCRIPT, visit } from "./sites-helpers";
import { metaProject, secretKey, setMeta } from "./sites-meta-helpers";
import { metaContents, parseHead, SPA_INDEX } from "./sites-meta-html";

const APP = {
  "/index.html": SPA_INDEX,
  "/assets/app.3f9a.js": "console.log('app')",
  "/about/index.html": "<!doctype html><html><head><title>About (built)</title></head><body>about</body></html>",
};

/** A deployed SPA with page meta, visited at its default address. */
async function deployedBlog() {
  const { project, site } = await metaProject();
  await deploy(project, site, APP);
  return { project, site, open: (path: string) => visit(project.id, site, path, NAVIGATION) };
}

describe("page meta on a deployed site", () => {
  it("an SPA fallback deep link gets the deep link's meta, not the meta of /", async () => {
    const { project, site, open } = await deployedBlog();
    await setMeta(project, site, { path: "/", title: "Home", description: "The home page" });
    await setMeta(project, site, {
      path: "/products/:id",
      title: "A product",
      description: "One of our products",
      image: "https://cdn.example/product.png",
      og_type: "product",
      json_ld: { "@type": "Product" },
    });
    const deep = await open("/products/42");
    expect(deep.status).toBe(200);
    expect(deep.headers.get("Content-Type")).toMatch(/^text\/html/);
    const head = await parseHead(await deep.text());
    expect(head.titles).toEqual(["A product"]);
    expect(metaContents(head, "description")).toEqual(["One of our products"]);
    expect(metaContents(head, "og:type")).toEqual(["product"]);
    expect(metaContents(head, "og:image")).toEqual(["https://cdn.example/product.png"]);
    expect(head.jsonLd).toEqual(['{"@type":"Product"}']);

    const home = await parseHead(await (await open("/")).text());
    expect(home.titles).toEqual(["Home"]);
  });

  it("a real page of the release gets its path's meta; assets and 404s pass through untouched", async () => {
    const { project, site, open } = await deployedBlog();
    await setMeta(project, site, { path: "/*", title: "Everywhere" });
    await setMeta(project, site, { path: "/about", title: "About us" });
    // A folder is served at its slash (the site redirects /about there); both paths share one record.
    expect((await open("/about")).status).toBeGreaterThanOrEqual(300);
    expect((await parseHead(await (await open("/about/")).text())).titles).toEqual(["About us"]);
    const script = await visit(project.id, site, "/assets/app.3f9a.js", SCRIPT);
    expect(await script.text()).toBe("console.log('app')");
    const missing = await visit(project.id, site, "/assets/gone.1234.js", SCRIPT);
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toContain("Everywhere");
  });

  it("a gzip-accepting crawler gets the meta too (the page is compressed after injection)", async () => {
    const { project, site } = await deployedBlog();
    await setMeta(project, site, { path: "/posts/:id", title: "A post" });
    const response = await visit(project.id, site, "/posts/1", { ...NAVIGATION, "Accept-Encoding": "gzip" });
    expect(response.status).toBe(200);
    expect((await parseHead(await response.text())).titles).toEqual(["A post"]);
  });

  it("a document-bound pattern follows the document, under the public read rule", async () => {
    const { project, site, open } = await deployedBlog();
    const key = secretKey(project);
    await api("/v1/collections/posts/rules", { method: "PUT", headers: key, json: { read: "doc.published == true" } });
    const write = (id: string, data: unknown) =>
      api(`/v1/collections/posts/documents/${id}`, { method: "PUT", headers: key, json: { data } });
    await write("hello", { published: true, title: "Hello world", summary: "The first post" });
    await write("draft", { published: false, title: "Secret draft" });
    await setMeta(project, site, {
      path: "/posts/:id",
      og_type: "article",
      document: { collection: "posts", id: ":id", fields: { title: "data.title", description: "data.summary" } },
    });
    const hello = await parseHead(await (await open("/posts/hello")).text());
    expect(hello.titles).toEqual(["Hello world"]);
    expect(metaContents(hello, "og:description")).toEqual(["The first post"]);
    const draft = await (await open("/posts/draft")).text();
    expect(draft).not.toContain("Secret");
    expect((await parseHead(draft)).titles).toEqual(["My App"]);
  });
});

import { describe, expect, it } from "vitest";
import type { PageMetaPage, PageMetaRecord } from "../../core/sites/page-meta";
import { PAGE_META_LIMITS } from "../../core/sites/page-meta-schemas";
import { adminHeaders, api, errorOf } from "./helpers";
import { metaProject, metaUrl, secretKey, setMeta } from "./sites-meta-helpers";

const entry = (site: string, path: string) => metaUrl(site, `/entry?path=${encodeURIComponent(path)}`);

describe("page meta routes", () => {
  it("set, get, list and delete a record with the secret key (the seed's fields)", async () => {
    const { project, site } = await metaProject();
    const record = await setMeta(project, site, {
      path: "/products/123",
      title: "Phone",
      description: "Best price",
      image: "https://example.com/product.jpg",
      og_type: "product",
      json_ld: JSON.stringify({ "@context": "https://schema.org", "@type": "Product", name: "Phone" }),
      robots_noindex: false,
    });
    expect(record).toMatchObject({
      site,
      path: "/products/123",
      pattern: false,
      title: "Phone",
      description: "Best price",
      image: "https://example.com/product.jpg",
      og_type: "product",
      json_ld: { "@context": "https://schema.org", "@type": "Product", name: "Phone" },
      robots_noindex: false,
      canonical: null,
      meta: [],
      document: null,
    });
    const got = await api(entry(site, "/products/123/"), { headers: secretKey(project) });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(record);

    const replaced = await setMeta(project, site, { path: "/products/123", title: "Phone 2" });
    expect(replaced).toMatchObject({ title: "Phone 2", description: null, created_at: record.created_at });

    const list = (await (await api(metaUrl(site), { headers: secretKey(project) })).json()) as PageMetaPage;
    expect(list.items.map((item) => item.path)).toEqual(["/products/123"]);

    const deleted = await api(entry(site, "/products/123"), { method: "DELETE", headers: secretKey(project) });
    expect(await deleted.json()).toEqual({ path: "/products/123", deleted: true });
    const gone = await api(entry(site, "/products/123"), { headers: secretKey(project) });
    expect(await errorOf(gone)).toMatchObject({
      status: 404,
      code: "not_found",
      details: { site, path: "/products/123" },
    });
  });

  it("sets a batch all or none, and lists it in pages", async () => {
    const { project, site } = await metaProject();
    const pages = Array.from({ length: 7 }, (_, index) => ({ path: `/p/${index}`, title: `Page ${index}` }));
    const batch = await api(metaUrl(site, "/batch"), { method: "POST", headers: secretKey(project), json: { pages } });
    expect(batch.status).toBe(200);
    const { items } = (await batch.json()) as { items: PageMetaRecord[] };
    expect(items.map((item) => [item.path, item.title])).toEqual(pages.map((page) => [page.path, page.title]));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = (await (await api(metaUrl(site, query), { headers: secretKey(project) })).json()) as PageMetaPage;
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((item) => item.path));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(pages.map((page) => page.path).sort());

    // One bad page refuses the whole batch: nothing of it is stored.
    const bad = await api(metaUrl(site, "/batch"), {
      method: "POST",
      headers: secretKey(project),
      json: { pages: [{ path: "/new", title: "New" }, { path: "no-slash" }] },
    });
    expect(await errorOf(bad)).toMatchObject({ status: 400, code: "invalid_request" });
    expect((await api(entry(site, "/new"), { headers: secretKey(project) })).status).toBe(404);
  });

  it("keys a pattern by its shape: /posts/:slug replaces /posts/:id", async () => {
    const { project, site } = await metaProject();
    await setMeta(project, site, { path: "/posts/:id", title: "A" });
    const replaced = await setMeta(project, site, { path: "/posts/:slug", title: "B" });
    expect(replaced).toMatchObject({ path: "/posts/:slug", pattern: true, title: "B" });
    const got = (await (
      await api(entry(site, "/posts/:anything"), { headers: secretKey(project) })
    ).json()) as PageMetaRecord;
    expect(got).toMatchObject({ path: "/posts/:slug", title: "B" });
    const list = (await (await api(metaUrl(site), { headers: secretKey(project) })).json()) as PageMetaPage;
    expect(list.items).toHaveLength(1);
  });

  it("the operator manages the same records under /v1/admin/projects/:projectId/sites/:site/page-meta", async () => {
    const { project, site } = await metaProject();
    const base = `/v1/admin/projects/${project.id}/sites/${site}/page-meta`;
    const set = await api(base, { method: "PUT", headers: adminHeaders, json: { path: "/", title: "Home" } });
    expect(set.status).toBe(200);
    const viaKey = await api(entry(site, "/"), { headers: secretKey(project) });
    expect(await viaKey.json()).toMatchObject({ path: "/", title: "Home" });
    const batch = await api(`${base}/batch`, {
      method: "POST",
      headers: adminHeaders,
      json: { pages: [{ path: "/a" }] },
    });
    expect(batch.status).toBe(200);
    expect((await api(`${base}/entry?path=/a`, { method: "DELETE", headers: adminHeaders })).status).toBe(200);
    const unknown = await api(`/v1/admin/projects/pnosuchproject00/sites/${site}/page-meta`, { headers: adminHeaders });
    expect(await errorOf(unknown)).toMatchObject({ status: 404, code: "not_found" });
  });

  it("refuses a public key, a missing site and bad input with typed errors", async () => {
    const { project, site } = await metaProject();
    const publicKey = await api(metaUrl(site), { headers: { "X-API-Key": project.keys.public } });
    expect(await errorOf(publicKey)).toMatchObject({ status: 403, code: "forbidden" });
    const noSite = await api(metaUrl("nosuchsite"), {
      method: "PUT",
      headers: secretKey(project),
      json: { path: "/" },
    });
    expect(await errorOf(noSite)).toMatchObject({ status: 404, code: "not_found", details: { site: "nosuchsite" } });

    const refused: [string, unknown][] = [
      ["no leading slash", { path: "about" }],
      ["a query", { path: "/about?x=1" }],
      ["a wildcard inside", { path: "/a/*/b" }],
      ["a bad parameter", { path: "/a/:1x" }],
      ["a parameter twice", { path: "/a/:id/:id" }],
      ["an unknown field", { path: "/", titel: "typo" }],
      ["a javascript: image", { path: "/", image: "javascript:alert(1)" }],
      ["a relative canonical", { path: "/", canonical: "/about" }],
      ["json_ld that is not JSON", { path: "/", json_ld: "{not json" }],
      ["json_ld that is a number", { path: "/", json_ld: "42" }],
      ["a too long title", { path: "/", title: "x".repeat(PAGE_META_LIMITS.title + 1) }],
      ["an http-equiv meta", { path: "/", meta: [{ "http-equiv": "refresh", content: "0;url=https://evil" }] }],
      ["a meta name with a quote", { path: "/", meta: [{ name: 'a"b', content: "x" }] }],
      [
        "a document id that is not a parameter",
        { path: "/posts/:id", document: { collection: "posts", id: ":slug", fields: { title: "data.title" } } },
      ],
      [
        "a document field path outside the document",
        { path: "/posts/:id", document: { collection: "posts", id: ":id", fields: { title: "constructor.name" } } },
      ],
      ["a document without fields", { path: "/posts/:id", document: { collection: "posts", id: ":id", fields: {} } }],
    ];
    for (const [what, body] of refused) {
      const response = await api(metaUrl(site), { method: "PUT", headers: secretKey(project), json: body });
      expect({ what, ...(await errorOf(response)) }).toMatchObject({ what, status: 400, code: "invalid_request" });
    }
    const badQuery = await api(metaUrl(site, "/entry?path=nope"), { headers: secretKey(project) });
    expect(await errorOf(badQuery)).toMatchObject({ status: 400, code: "invalid_request" });
  });

  it(`allows ${PAGE_META_LIMITS.patterns_per_site} patterns per site, and any number of exact paths`, async () => {
    const { project, site } = await metaProject();
    const patterns = Array.from({ length: PAGE_META_LIMITS.patterns_per_site }, (_, index) => ({
      path: `/p${index}/:id`,
    }));
    for (let start = 0; start < patterns.length; start += PAGE_META_LIMITS.batch) {
      const pages = patterns.slice(start, start + PAGE_META_LIMITS.batch);
      const response = await api(metaUrl(site, "/batch"), {
        method: "POST",
        headers: secretKey(project),
        json: { pages },
      });
      expect(response.status).toBe(200);
    }
    const over = await api(metaUrl(site), {
      method: "PUT",
      headers: secretKey(project),
      json: { path: "/one-more/*" },
    });
    expect(await errorOf(over)).toMatchObject({ status: 400, code: "invalid_request", details: { max_patterns: 100 } });
    // Replacing one of them is no new pattern; an exact path is none at all.
    await setMeta(project, site, { path: "/p0/:slug", title: "replaced" });
    await setMeta(project, site, { path: "/exact", title: "fine" });
  });
});

describe("page meta and its site", () => {
  it("goes with the site: a site deleted and made again has no records", async () => {
    const { project, site } = await metaProject();
    await setMeta(project, site, { path: "/", title: "Home" });
    expect((await api(`/v1/sites/${site}`, { method: "DELETE", headers: secretKey(project) })).status).toBe(200);
    const again = await api("/v1/sites", { method: "POST", headers: secretKey(project), json: { name: site } });
    expect(again.status).toBe(201);
    const list = (await (await api(metaUrl(site), { headers: secretKey(project) })).json()) as PageMetaPage;
    expect(list.items).toEqual([]);
  });
});

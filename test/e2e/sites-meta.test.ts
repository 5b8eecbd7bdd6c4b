import { describe, expect, it } from "vitest";
import { FlarebaseError, pageMeta } from "../../sdk/index";
import { createTestProject } from "./helpers";

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

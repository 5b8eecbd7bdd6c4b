import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { compareSpecificity, matchPattern, parsePagePath } from "../../core/sites/page-path";
import { applyPageMeta } from "../../worker/sites/meta/apply-page-meta";
import { api } from "./helpers";
import { metaProject, metaUrl, secretKey, setMeta } from "./sites-meta-helpers";
import { htmlResponse, parseHead, SPA_INDEX } from "./sites-meta-html";

/** The title a request path is served with. */
async function titleFor(projectId: string, site: string, path: string) {
  const response = await applyPageMeta(env, { projectId, site, path }, htmlResponse(SPA_INDEX));
  return (await parseHead(await response.text())).titles[0];
}

describe("which record applies to a path", () => {
  it("an exact path beats every pattern; among patterns the most specific wins, segment by segment", async () => {
    const { project, site } = await metaProject();
    const records = [
      "/*",
      "/products/*",
      "/products/:id",
      "/products/featured",
      "/products/:id/reviews",
      "/products/:id/*",
      "/:section/:id",
    ];
    for (const path of records) await setMeta(project, site, { path, title: path });
    const expected: [string, string][] = [
      ["/", "/*"],
      ["/about", "/*"],
      ["/products", "/products/*"],
      ["/products/42", "/products/:id"],
      ["/products/featured", "/products/featured"],
      ["/products/featured/", "/products/featured"],
      ["/products/42/reviews", "/products/:id/reviews"],
      ["/products/42/photos", "/products/:id/*"],
      ["/products/42/photos/3", "/products/:id/*"],
      ["/blog/42", "/:section/:id"],
      ["/blog/42/x", "/*"],
    ];
    for (const [path, title] of expected) {
      expect({ path, title: await titleFor(project.id, site, path) }).toEqual({ path, title });
    }
  });

  it("a site's records apply to its pages only, and a page no record matches is served as built", async () => {
    const one = await metaProject("one");
    const two = await metaProject("two");
    await setMeta(one.project, one.site, { path: "/posts/:id", title: "one's post" });
    expect(await titleFor(one.project.id, one.site, "/posts/1")).toBe("one's post");
    expect(await titleFor(two.project.id, two.site, "/posts/1")).toBe("My App");
    expect(await titleFor(one.project.id, one.site, "/posts")).toBe("My App");
    expect(await titleFor(one.project.id, one.site, "/posts/1/2")).toBe("My App");
  });

  it("a write shows on the next request (the match cache forgets the site)", async () => {
    const { project, site } = await metaProject();
    expect(await titleFor(project.id, site, "/news/1")).toBe("My App"); // cached: no record
    await setMeta(project, site, { path: "/news/:id", title: "News" });
    expect(await titleFor(project.id, site, "/news/1")).toBe("News");
    await setMeta(project, site, { path: "/news/1", title: "Exact" });
    expect(await titleFor(project.id, site, "/news/1")).toBe("Exact");
    await api(metaUrl(site, "/entry?path=/news/1"), { method: "DELETE", headers: secretKey(project) });
    expect(await titleFor(project.id, site, "/news/1")).toBe("News");
  });

  it("matching binds parameters, and specificity orders literal over parameter over wildcard", () => {
    const segments = (path: string) => parsePagePath(path).segments;
    expect(matchPattern(segments("/posts/:id"), ["posts", "hello"])).toEqual({ id: "hello" });
    expect(matchPattern(segments("/posts/:id"), ["posts"])).toBeNull();
    expect(matchPattern(segments("/docs/*"), ["docs"])).toEqual({});
    expect(matchPattern(segments("/*"), [])).toEqual({});
    const ordered = ["/a/b", "/a/:x", "/a/:x/*", "/a/*", "/:y/b", "/*"];
    const shuffled = [...ordered].reverse().sort((a, b) => compareSpecificity(segments(a), segments(b)));
    expect(shuffled).toEqual(ordered);
  });
});

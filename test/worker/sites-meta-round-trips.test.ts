import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { countRoundTrips } from "../../data/d1/round-trips";
import { applyPageMeta } from "../../worker/sites/meta/apply-page-meta";
import { api } from "./helpers";
import { metaProject, secretKey, setMeta } from "./sites-meta-helpers";
import { htmlResponse, SPA_INDEX } from "./sites-meta-html";

/** The D1 round trips page meta makes for one HTML request, counted on the real binding. */
async function tripsFor(projectId: string, site: string, path: string): Promise<number> {
  let trips = 0;
  const counted = { ...env, DB: countRoundTrips(env.DB, () => trips++) };
  const response = await applyPageMeta(counted, { projectId, site, path }, htmlResponse(SPA_INDEX));
  await response.text();
  return trips;
}

describe("page meta's D1 round trips per HTML request", () => {
  it("one to find the record, none while the isolate has the match cached", async () => {
    const { project, site } = await metaProject();
    expect(await tripsFor(project.id, site, "/nothing-here")).toBe(1);
    expect(await tripsFor(project.id, site, "/nothing-here")).toBe(0);
    await setMeta(project, site, { path: "/products/:id", title: "Product" });
    expect(await tripsFor(project.id, site, "/products/1")).toBe(1);
    expect(await tripsFor(project.id, site, "/products/1")).toBe(0);
    expect(await tripsFor(project.id, site, "/products/2")).toBe(1);
  });

  it("one more per request for a document-bound record: the document and its rules together", async () => {
    const { project, site } = await metaProject();
    await api("/v1/collections/posts/rules", { method: "PUT", headers: secretKey(project), json: { read: "true" } });
    await api("/v1/collections/posts/documents/p1", {
      method: "PUT",
      headers: secretKey(project),
      json: { data: { title: "Post" } },
    });
    await setMeta(project, site, {
      path: "/posts/:id",
      document: { collection: "posts", id: ":id", fields: { title: "data.title" } },
    });
    expect(await tripsFor(project.id, site, "/posts/p1")).toBe(2);
    expect(await tripsFor(project.id, site, "/posts/p1")).toBe(1);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ReleaseDiff, ReleaseRecord } from "../../core/sites/wire";
import { api, errorOf } from "./helpers";
import {
  activate,
  bytesOf,
  createRelease,
  deploy,
  manifestOf,
  secret,
  sha256,
  sitePath,
  siteProject,
  uploadBlob,
} from "./sites-helpers";

const APP = {
  "/index.html": "<!doctype html><title>v1</title><script src=/assets/app.1a2b3c4d.js></script>",
  "/assets/app.1a2b3c4d.js": "console.log('v1')",
  "/logo.png": new Uint8Array([137, 80, 78, 71, 1, 2, 3]),
};

async function releases(project: Awaited<ReturnType<typeof siteProject>>["project"], site = "www") {
  const body = (await (await api(sitePath(site, "/releases"), { headers: secret(project) })).json()) as {
    items: ReleaseRecord[];
  };
  return body.items;
}

describe("sites: content-addressed releases", () => {
  it("asks only for the hashes the project lacks, and activates in one call", async () => {
    const { project } = await siteProject();
    const created = await createRelease(project, "www", APP);
    expect(created.release).toMatchObject({ status: "pending", file_count: 3, activated_at: null });
    expect(created.missing).toHaveLength(3);
    expect(created.missing_bytes).toBe(Object.values(APP).reduce((n, c) => n + bytesOf(c).length, 0));

    const early = await activate(project, "www", created.release.id);
    expect(await errorOf(early)).toMatchObject({ status: 409, code: "release_incomplete" });

    const { release } = await deploy(project, "www", APP);
    expect(release.status).toBe("active");
    const site = await (await api(sitePath("www"), { headers: secret(project) })).json();
    expect((site as { active_release_id: string }).active_release_id).toBe(release.id);
  });

  it("stores each hash once per project: a second deploy with one change uploads one file, another site none", async () => {
    const { project } = await siteProject();
    await api("/v1/sites", { method: "POST", headers: secret(project), json: { name: "mirror" } });
    const first = await deploy(project, "www", APP);
    expect(first.uploaded).toBe(3);
    const second = await deploy(project, "www", { ...APP, "/index.html": "<!doctype html><title>v2</title>" });
    expect(second.uploaded).toBe(1);
    const mirror = await deploy(project, "mirror", APP);
    expect(mirror.uploaded).toBe(0);
    const blobs = await env.DB.prepare("SELECT COUNT(*) AS n FROM site_blobs WHERE project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(blobs?.n).toBe(4);
  });

  it("refuses bytes whose SHA-256 is not the hash, and a size that is not the manifest's", async () => {
    const { project } = await siteProject();
    const created = await createRelease(project, "www", { "/a.txt": "hello" });
    const hash = created.missing[0] as string;
    const forged = await uploadBlob(project, "www", created.release.id, hash, bytesOf("jello"));
    expect(await errorOf(forged)).toMatchObject({ status: 400, code: "invalid_request" });
    const short = await uploadBlob(project, "www", created.release.id, hash, bytesOf("hell"));
    expect(await errorOf(short)).toMatchObject({ status: 400, code: "invalid_request" });
    const stranger = await sha256(bytesOf("not in the manifest"));
    const unnamed = await uploadBlob(project, "www", created.release.id, stranger, bytesOf("not in the manifest"));
    expect(await errorOf(unnamed)).toMatchObject({ status: 404, code: "not_found" });
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM site_blobs WHERE project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
    expect((await uploadBlob(project, "www", created.release.id, hash, bytesOf("hello"))).status).toBe(201);
    expect((await uploadBlob(project, "www", created.release.id, hash, bytesOf("hello"))).status).toBe(200);
  });

  it("refuses a manifest with a path twice, a path that climbs out, or one hash with two sizes", async () => {
    const { project } = await siteProject();
    const [entry] = await manifestOf({ "/a.txt": "a" });
    const post = (files: unknown) =>
      api(sitePath("www", "/releases"), { method: "POST", headers: secret(project), json: { files } });
    expect(await errorOf(await post([entry, entry]))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await post([{ ...entry, path: "/a/../b" }]))).toMatchObject({ code: "invalid_path" });
    expect(await errorOf(await post([{ ...entry, path: "a.txt" }]))).toMatchObject({ status: 400 });
    const twice = [entry, { ...entry, path: "/b.txt", size: 2 }];
    expect(await errorOf(await post(twice))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await post([]))).toMatchObject({ status: 400, code: "invalid_request" });
  });

  it("takes a manifest of 5,000 files, beyond the 1 MiB JSON limit of other routes", async () => {
    const { project } = await siteProject();
    const files = await manifestOf(
      Object.fromEntries(
        Array.from({ length: 5000 }, (_, i) => [
          `/assets/some/long/folder/name/with/more/depth/and-more/file-${i}.js`,
          `${i}`,
        ]),
      ),
    );
    const body = JSON.stringify({ files });
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const response = await api(sitePath("www", "/releases"), {
      method: "POST",
      headers: { ...secret(project), "Content-Type": "application/json" },
      body,
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as { missing: string[] }).missing).toHaveLength(5000);
  });

  it("diffs a manifest against the active release without changing anything", async () => {
    const { project } = await siteProject();
    await deploy(project, "www", APP);
    const next = {
      "/index.html": "<title>v2</title>",
      "/assets/app.1a2b3c4d.js": APP["/assets/app.1a2b3c4d.js"],
      "/new.txt": "n",
    };
    const response = await api(sitePath("www", "/diff"), {
      method: "POST",
      headers: secret(project),
      json: { files: await manifestOf(next) },
    });
    const diff = (await response.json()) as ReleaseDiff;
    expect(diff).toMatchObject({ added: ["/new.txt"], changed: ["/index.html"], removed: ["/logo.png"], unchanged: 1 });
    expect(diff.missing).toHaveLength(2);
    expect(await releases(project)).toHaveLength(1);
  });

  it("lists releases newest first and rolls back in one call", async () => {
    const { project } = await siteProject();
    const one = await deploy(project, "www", APP);
    const two = await deploy(project, "www", { ...APP, "/index.html": "<title>v2</title>" });
    expect((await releases(project)).map((r) => [r.id, r.status])).toEqual([
      [two.release.id, "active"],
      [one.release.id, "inactive"],
    ]);
    const back = await api(sitePath("www", "/rollback"), { method: "POST", headers: secret(project) });
    expect(await back.json()).toMatchObject({ id: one.release.id, status: "active" });
    const forward = await api(sitePath("www", "/rollback"), {
      method: "POST",
      headers: secret(project),
      json: { release_id: two.release.id },
    });
    expect(await forward.json()).toMatchObject({ id: two.release.id, status: "active" });
    const files = await api(sitePath("www", `/releases/${one.release.id}/files`), { headers: secret(project) });
    expect(((await files.json()) as { items: { path: string }[] }).items.map((f) => f.path)).toEqual([
      "/assets/app.1a2b3c4d.js",
      "/index.html",
      "/logo.png",
    ]);
  });

  it("refuses a rollback with nothing to go back to", async () => {
    const { project } = await siteProject();
    await deploy(project, "www", APP);
    const response = await api(sitePath("www", "/rollback"), { method: "POST", headers: secret(project) });
    expect(await errorOf(response)).toMatchObject({ status: 404, code: "not_found" });
  });

  it("keeps the last N activated releases and collects the blobs only they named", async () => {
    const { project } = await siteProject({ keep_releases: 2 });
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      ids.push(
        (await deploy(project, "www", { "/index.html": `<title>v${i}</title>`, "/shared.css": "body{}" })).release.id,
      );
    }
    expect((await releases(project)).map((r) => r.id)).toEqual([ids[3], ids[2]]);
    // Collection runs after the answer (waitUntil): poll the table until it settles.
    let count = 0;
    for (let attempt = 0; attempt < 50; attempt++) {
      const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM site_blobs WHERE project_id = ?")
        .bind(project.id)
        .first<{ n: number }>();
      count = row?.n ?? 0;
      if (count === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(count).toBe(3);
    const keys = await env.BUCKET.list({ prefix: `sites/${project.id}/blobs/` });
    expect(keys.objects).toHaveLength(3);
  });

  it("is the same API for the operator under /v1/admin/projects/:id/sites", async () => {
    const { project } = await siteProject();
    const response = await api(`/v1/admin/projects/${project.id}/sites/www/releases`, {
      headers: { Authorization: "Bearer test-admin-token" },
    });
    expect(response.status).toBe(200);
  });
});

import { describe, expect, it } from "vitest";
import {
  activate,
  createRelease,
  deploy,
  NAVIGATION,
  SCRIPT,
  siteProject,
  uploadMissing,
  visit,
} from "./sites-helpers";

/** A release whose every file says which release it belongs to. */
const release = (version: string) => ({
  "/index.html": `<!doctype html><title>${version}</title><script src="/assets/app.${version}0a1b2c3d.js"></script>`,
  [`/assets/app.${version}0a1b2c3d.js`]: `window.version = "${version}"`,
  "/version.txt": version,
  ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`/page-${i}.txt`, `${version} ${i}`])),
});

describe("sites: activation is atomic", { timeout: 30_000 }, () => {
  it("serves the previous release until activation, then only the new one, never a mix", async () => {
    const { project } = await siteProject();
    await deploy(project, "www", release("v1"));
    const created = await createRelease(project, "www", release("v2"));
    await uploadMissing(project, "www", created, release("v2"));
    // Uploaded but not activated: still v1 everywhere.
    expect(await (await visit(project.id, "www", "/version.txt")).text()).toBe("v1");

    const read = async (i: number) => {
      const response = await visit(project.id, "www", `/page-${i % 20}.txt`);
      return (await response.text()).split(" ")[0];
    };
    const during = Array.from({ length: 40 }, (_, i) => read(i));
    const activation = activate(project, "www", created.release.id);
    const seen = await Promise.all(during);
    expect((await activation).status).toBe(200);
    for (const version of seen) expect(["v1", "v2"]).toContain(version);

    const after = await Promise.all(Array.from({ length: 40 }, (_, i) => read(i)));
    expect(new Set(after)).toEqual(new Set(["v2"]));
  });

  it("still serves a replaced release's hashed assets to a page loaded before the deploy (skew protection)", async () => {
    const { project } = await siteProject();
    await deploy(project, "www", release("v1"));
    const page = await (await visit(project.id, "www", "/", NAVIGATION)).text();
    const asset = /src="([^"]+)"/.exec(page)?.[1] as string;
    await deploy(project, "www", release("v2"));
    const old = await visit(project.id, "www", asset, SCRIPT);
    expect([old.status, await old.text()]).toEqual([200, 'window.version = "v1"']);
    const never = await visit(project.id, "www", "/assets/app.v90a1b2c3d.js", SCRIPT);
    expect(never.status).toBe(404);
    await never.arrayBuffer();
  });

  // HTML pages add page meta's own lookup (test/worker/sites-meta-round-trips.test.ts).
  it("reads D1 once per file request on a warm isolate: the site row, never the manifest again", async () => {
    const { project } = await siteProject();
    await deploy(project, "www", release("v1"));
    const warm = await visit(project.id, "www", "/version.txt");
    await warm.arrayBuffer();
    for (const path of ["/version.txt", "/page-3.txt", "/assets/app.v10a1b2c3d.js"]) {
      const response = await visit(project.id, "www", path, NAVIGATION);
      await response.arrayBuffer();
      expect(response.headers.get("X-D1-Round-Trips"), path).toBe("1");
    }
  });
});

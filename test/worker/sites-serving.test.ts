import { describe, expect, it } from "vitest";
import { app } from "../../worker/app";
import { isApiPath } from "../../worker/sites/reserved-paths";
import { adminHeaders, api } from "./helpers";
import { deploy, NAVIGATION, SCRIPT, secret, siteProject, visit } from "./sites-helpers";

const INDEX = "<!doctype html><html><head><title>App</title></head><body><div id=app></div></body></html>";
const APP = {
  "/index.html": INDEX,
  "/assets/app.3f9a1b2c.js": "console.log('app')",
  "/assets/style.css": "body { color: red }",
  "/docs/index.html": "<!doctype html><title>Docs</title>",
  "/about.html": "<!doctype html><title>About</title>",
  "/404.html": "<!doctype html><title>Lost</title>",
  "/robots.txt": "User-agent: *",
};

async function deployed(settings: Record<string, unknown> = {}, files: Record<string, string | Uint8Array> = APP) {
  const { project } = await siteProject(settings);
  const { release } = await deploy(project, "www", files);
  return {
    project,
    release,
    get: (path: string, headers: Record<string, string> = {}) => visit(project.id, "www", path, headers),
  };
}

describe("sites: serving a release", () => {
  it("serves index.html at / and for a folder, with no-cache HTML", async () => {
    const { get } = await deployed();
    const root = await get("/", NAVIGATION);
    expect(root.status).toBe(200);
    expect(root.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(root.headers.get("Cache-Control")).toBe("no-cache");
    expect(await root.text()).toBe(INDEX);
    expect(await (await get("/docs/", NAVIGATION)).text()).toContain("Docs");
    const bare = await get("/docs?x=1", NAVIGATION);
    expect([bare.status, bare.headers.get("Location")]).toEqual([308, "/docs/?x=1"]);
  });

  it("gives fingerprinted assets immutable caching, others revalidation, and answers 304 to a current ETag", async () => {
    const { get } = await deployed();
    const hashed = await get("/assets/app.3f9a1b2c.js", SCRIPT);
    expect(hashed.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    const etag = hashed.headers.get("ETag") as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(await hashed.text()).toBe("console.log('app')");
    const plain = await get("/assets/style.css", SCRIPT);
    expect(plain.headers.get("Cache-Control")).toBe("public, max-age=0, must-revalidate");
    await plain.arrayBuffer();
    const again = await get("/assets/app.3f9a1b2c.js", { ...SCRIPT, "If-None-Match": etag });
    expect(again.status).toBe(304);
    expect(again.headers.get("ETag")).toBe(etag);
    expect(await again.text()).toBe("");
    const other = await get("/assets/app.3f9a1b2c.js", { ...SCRIPT, "If-None-Match": '"nope"' });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it("falls back to index.html for navigations only, never for a path with an extension", async () => {
    const { get } = await deployed();
    const deep = await get("/users/42/settings", NAVIGATION);
    expect([deep.status, await deep.text()]).toEqual([200, INDEX]);
    const acceptOnly = await get("/users/42", { Accept: "text/html" });
    expect(acceptOnly.status).toBe(200);
    await acceptOnly.arrayBuffer();

    const script = await get("/users/42", SCRIPT);
    expect(script.status).toBe(404);
    await script.arrayBuffer();
    const missingBundle = await get("/assets/app.deadbeef00.js", NAVIGATION);
    expect(missingBundle.status).toBe(404);
    expect(missingBundle.headers.get("Cache-Control")).toBe("no-cache");
    expect(await missingBundle.text()).toContain("Lost");
  });

  it("answers 404 with the custom page, or with plain text when the release has none", async () => {
    const custom = await deployed({ spa: false, not_found_page: "/about.html" });
    const page = await custom.get("/nope", NAVIGATION);
    expect([page.status, await page.text()]).toEqual([404, "<!doctype html><title>About</title>"]);
    const { get } = await deployed({ spa: false }, { "/index.html": INDEX });
    const bare = await get("/nope", NAVIGATION);
    expect(bare.status).toBe(404);
    expect(bare.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    await bare.arrayBuffer();
  });

  it("serves clean URLs when asked: /about is about.html, /about.html redirects", async () => {
    const { get } = await deployed({ clean_urls: true });
    expect(await (await get("/about", NAVIGATION)).text()).toContain("About");
    const long = await get("/about.html", NAVIGATION);
    expect([long.status, long.headers.get("Location")]).toEqual([308, "/about"]);
    const index = await get("/docs/index.html", NAVIGATION);
    expect([index.status, index.headers.get("Location")]).toEqual([308, "/docs/"]);
  });

  it("never shadows the API: /v1, /health and /openapi.json on a site's host are the API's", async () => {
    const { get, project } = await deployed({}, { ...APP, "/health": "site health", "/v1/x": "site" });
    const health = await get("/health", NAVIGATION);
    expect(health.headers.get("Content-Type")).toContain("application/json");
    expect(await health.json()).toMatchObject({ status: "ok" });
    const me = await get("/v1/auth/me", { "X-API-Key": project.keys.public });
    expect(await me.json()).toMatchObject({ project_id: project.id });
    const unknown = await get("/v1/nope", NAVIGATION);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("Content-Type")).toContain("application/json");
    await unknown.arrayBuffer();
  });

  it("reserves every path the app routes", () => {
    // "/*" is the app-wide middleware (request id, CORS), not a route.
    for (const route of app.routes.filter((r) => r.path !== "/*")) {
      const concrete = route.path.replace(/:[^/]+/g, "x").replace(/\*/g, "x");
      expect(isApiPath(concrete), route.path).toBe(true);
    }
  });

  it("serves a precompressed sibling the client accepts, and compresses text otherwise", async () => {
    const big = `console.log(${JSON.stringify("x".repeat(4000))});`;
    const brotli = new Uint8Array([11, 2, 128, 1, 2, 3]);
    const { get } = await deployed(
      {},
      { "/index.html": INDEX, "/app.js": big, "/app.js.br": brotli, "/other.js": big },
    );
    const br = await get("/app.js", { ...SCRIPT, "Accept-Encoding": "gzip, br" });
    expect(br.headers.get("Content-Encoding")).toBe("br");
    expect(br.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(br.headers.get("Vary")).toBe("Accept-Encoding");
    await br.arrayBuffer();
    const identity = await get("/app.js", SCRIPT);
    expect(identity.headers.get("Content-Encoding")).toBeNull();
    expect(await identity.text()).toBe(big);
    const gzip = await get("/other.js", { ...SCRIPT, "Accept-Encoding": "gzip" });
    expect(gzip.headers.get("Content-Encoding")).toBe("gzip");
    await gzip.arrayBuffer();
  });

  it("answers HEAD with the headers only, and refuses other methods with 405", async () => {
    const { project } = await deployed();
    const url = `https://www--${project.id}.sites.test/robots.txt`;
    const { exports } = await import("cloudflare:workers");
    const head = await exports.default.fetch(url, { method: "HEAD" });
    expect([head.status, head.headers.get("Content-Length")]).toEqual([200, "13"]);
    const post = await exports.default.fetch(url, { method: "POST", body: "x" });
    expect([post.status, post.headers.get("Allow")]).toEqual([405, "GET, HEAD"]);
    await post.arrayBuffer();
  });

  it("answers 404 for a site with no release, and for no such site", async () => {
    const { project } = await siteProject();
    const none = await visit(project.id, "www", "/", NAVIGATION);
    expect(none.status).toBe(404);
    await none.arrayBuffer();
    const other = await visit(project.id, "nope", "/", NAVIGATION);
    expect(other.status).toBe(404);
    await other.arrayBuffer();
  });

  it("is reached by a hostname the operator maps, and not after it is removed", async () => {
    const { project } = await deployed();
    const hostname = `www-${project.id}.example.com`;
    const path = `/v1/admin/projects/${project.id}/sites/www/hostnames/${hostname}`;
    const mapped = await api(path, { method: "PUT", headers: adminHeaders });
    expect(((await mapped.json()) as { hostnames: string[] }).hostnames).toEqual([hostname]);
    const { exports } = await import("cloudflare:workers");
    const page = await exports.default.fetch(`https://${hostname}/deep/link`, { headers: NAVIGATION });
    expect(await page.text()).toBe(INDEX);
    const taken = await api(`/v1/admin/projects/${project.id}/sites/www/hostnames/${hostname}`, {
      method: "PUT",
      headers: adminHeaders,
    });
    expect(taken.status).toBe(200);
    await taken.arrayBuffer();
    const { project: other } = await siteProject();
    const stolen = await api(`/v1/admin/projects/${other.id}/sites/www/hostnames/${hostname}`, {
      method: "PUT",
      headers: adminHeaders,
    });
    expect(stolen.status).toBe(409);
    await stolen.arrayBuffer();
    const bySecretKey = await api(`/v1/admin/projects/${project.id}/sites/www/hostnames/x.example.com`, {
      method: "PUT",
      headers: secret(project),
    });
    expect(bySecretKey.status).toBe(401);
    await bySecretKey.arrayBuffer();
    await api(path, { method: "DELETE", headers: adminHeaders });
    const gone = await exports.default.fetch(`https://${hostname}/deep/link`, { headers: NAVIGATION });
    expect(gone.status).toBe(404);
    expect(gone.headers.get("Content-Type")).toContain("application/json");
    await gone.arrayBuffer();
  });
});

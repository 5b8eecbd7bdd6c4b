import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SiteRecord } from "../../core/sites/wire";
import { adminHeaders, api, createProject, errorOf } from "./helpers";
import { secret, siteProject } from "./sites-helpers";

describe("sites: create, list, get, update, delete", () => {
  it("creates a site with the defaults and its local default address", async () => {
    const project = await createProject();
    const response = await api("/v1/sites", { method: "POST", headers: secret(project), json: { name: "www" } });
    expect(response.status).toBe(201);
    const site = await response.json();
    expect(site).toMatchObject({
      name: "www",
      spa: true,
      not_found_page: null,
      clean_urls: false,
      keep_releases: 10,
      active_release_id: null,
      hostnames: [],
      url: `https://www--${project.id}.flarebase.test`,
    });
  });

  it("answers a local request with a *.localhost address, which Chromium resolves to loopback", async () => {
    const { project } = await siteProject();
    const { exports } = await import("cloudflare:workers");
    const response = await exports.default.fetch("http://127.0.0.1:8787/v1/sites/www", { headers: secret(project) });
    expect(((await response.json()) as SiteRecord).url).toBe(`http://www--${project.id}.localhost:8787`);
  });

  it("refuses a second site of the same name with 409 conflict", async () => {
    const { project } = await siteProject();
    const again = await api("/v1/sites", { method: "POST", headers: secret(project), json: { name: "www" } });
    expect(await errorOf(again)).toMatchObject({ status: 409, code: "conflict" });
  });

  it.each(["", "WWW", "a--b", "-a", "a-", "a".repeat(41), "a_b", "a.b"])(
    "refuses the site name %j with 400",
    async (name) => {
      const project = await createProject();
      const response = await api("/v1/sites", { method: "POST", headers: secret(project), json: { name } });
      expect(await errorOf(response)).toMatchObject({ status: 400, code: "invalid_request" });
    },
  );

  it("refuses a 404 page path that climbs out with 400 invalid_path", async () => {
    const project = await createProject();
    const response = await api("/v1/sites", {
      method: "POST",
      headers: secret(project),
      json: { name: "www", not_found_page: "/a/../b.html" },
    });
    expect(await errorOf(response)).toMatchObject({ status: 400, code: "invalid_path" });
  });

  it("lists, changes only the fields sent, and deletes", async () => {
    const { project } = await siteProject({ spa: false });
    await api("/v1/sites", { method: "POST", headers: secret(project), json: { name: "docs" } });
    const list = (await (await api("/v1/sites", { headers: secret(project) })).json()) as {
      items: SiteRecord[];
      next_cursor: null;
    };
    expect(list.items.map((site) => site.name)).toEqual(["docs", "www"]);
    expect(list.next_cursor).toBeNull();

    const patched = await api("/v1/sites/www", {
      method: "PATCH",
      headers: secret(project),
      json: { clean_urls: true, not_found_page: "/missing.html" },
    });
    expect(await patched.json()).toMatchObject({ spa: false, clean_urls: true, not_found_page: "/missing.html" });

    const deleted = await api("/v1/sites/www", { method: "DELETE", headers: secret(project) });
    expect(await deleted.json()).toEqual({ name: "www", deleted: true });
    expect((await api("/v1/sites/www", { headers: secret(project) })).status).toBe(404);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM sites WHERE project_id = ?").bind(project.id).first();
    expect(row).toEqual({ n: 1 });
  });

  it("needs the secret key: a public key gets 403", async () => {
    const { project } = await siteProject();
    const response = await api("/v1/sites/www", { headers: { "X-API-Key": project.keys.public } });
    expect((await errorOf(response)).status).toBe(403);
  });

  it("keeps projects apart: another project's key sees no site", async () => {
    await siteProject();
    const other = await createProject();
    expect((await api("/v1/sites/www", { headers: secret(other) })).status).toBe(404);
  });

  it("is managed by the operator under /v1/admin/projects/:id/sites", async () => {
    const project = await createProject();
    const base = `/v1/admin/projects/${project.id}/sites`;
    const created = await api(base, { method: "POST", headers: adminHeaders, json: { name: "blog", spa: false } });
    expect(created.status).toBe(201);
    expect(((await (await api(`${base}/blog`, { headers: adminHeaders })).json()) as SiteRecord).spa).toBe(false);
    const missing = await api("/v1/admin/projects/pnothere0000000/sites", { headers: adminHeaders });
    expect(await errorOf(missing)).toMatchObject({ status: 404, code: "not_found" });
  });

  it("goes with its project", async () => {
    const { project } = await siteProject();
    await api(`/v1/admin/projects/${project.id}`, { method: "DELETE", headers: adminHeaders });
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM sites WHERE project_id = ?").bind(project.id).first();
    expect(row).toEqual({ n: 0 });
  });
});

import { describe, expect, it } from "vitest";
import { adminHeaders, api, createProject, errorOf } from "./helpers";

const me = (headers: Record<string, string>) => api("/v1/auth/me", { headers });

describe("API keys", () => {
  it("resolves a public key and a secret key to their project and kind", async () => {
    const project = await createProject();
    expect(await (await me({ "X-API-Key": project.keys.public })).json()).toEqual({
      project_id: project.id,
      kind: "public",
      user_id: null,
      role: null,
      claims: {},
    });
    expect(await (await me({ "X-API-Key": project.keys.secret })).json()).toMatchObject({
      project_id: project.id,
      kind: "secret",
    });
  });

  it("shapes keys as pk_/sk_ and never returns them again from the listing", async () => {
    const project = await createProject();
    expect(project.keys.public).toMatch(/^pk_[0-9A-Za-z]{16}_[0-9A-Za-z]{40}$/);
    expect(project.keys.secret).toMatch(/^sk_[0-9A-Za-z]{16}_[0-9A-Za-z]{40}$/);
    const listing = await (await api(`/v1/admin/projects/${project.id}/keys`, { headers: adminHeaders })).text();
    expect(listing).not.toContain(project.keys.public.slice(20));
    expect(listing).not.toContain(project.keys.secret.slice(20));
  });

  it("rejects a key whose secret part is wrong, even by one character", async () => {
    const project = await createProject();
    const last = project.keys.public.at(-1) === "a" ? "b" : "a";
    const forged = project.keys.public.slice(0, -1) + last;
    expect(await errorOf(await me({ "X-API-Key": forged }))).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("rejects a public key's secret presented with the sk_ prefix", async () => {
    const project = await createProject();
    const promoted = `sk_${project.keys.public.slice(3)}`;
    expect(await errorOf(await me({ "X-API-Key": promoted }))).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("rejects garbage and missing keys", async () => {
    expect((await me({ "X-API-Key": "pk_nope" })).status).toBe(401);
    expect((await me({ "X-API-Key": "' OR 1=1 --" })).status).toBe(401);
    expect((await me({})).status).toBe(401);
  });

  it("stops a revoked key at once while the project's other keys keep working", async () => {
    const project = await createProject();
    const created = await api(`/v1/admin/projects/${project.id}/keys`, {
      method: "POST",
      headers: adminHeaders,
      json: { kind: "public", name: "mobile app" },
    });
    expect(created.status).toBe(201);
    const extra = (await created.json()) as { id: string; key: string; kind: string; name: string };
    expect(extra).toMatchObject({ kind: "public", name: "mobile app" });
    expect((await me({ "X-API-Key": extra.key })).status).toBe(200);

    const revoked = await api(`/v1/admin/projects/${project.id}/keys/${extra.id}`, {
      method: "DELETE",
      headers: adminHeaders,
    });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revoked_at: string | null }).revoked_at).toMatch(/^\d{4}-/);

    const error = await errorOf(await me({ "X-API-Key": extra.key }));
    expect(error).toMatchObject({ status: 401, code: "unauthorized" });
    expect(error.message).toContain("revoked");
    expect((await me({ "X-API-Key": project.keys.public })).status).toBe(200);
  });

  it("cannot revoke another project's key through a project it does not belong to", async () => {
    const a = await createProject();
    const b = await createProject();
    const keysOfA = (await (await api(`/v1/admin/projects/${a.id}/keys`, { headers: adminHeaders })).json()) as {
      items: { id: string }[];
    };
    const response = await api(`/v1/admin/projects/${b.id}/keys/${keysOfA.items[0]?.id}`, {
      method: "DELETE",
      headers: adminHeaders,
    });
    expect(response.status).toBe(404);
    expect((await me({ "X-API-Key": a.keys.public })).status).toBe(200);
  });
});

describe("the admin API", () => {
  it("refuses requests without the admin token, or with a project key", async () => {
    const project = await createProject();
    expect((await api("/v1/admin/projects")).status).toBe(401);
    expect((await api("/v1/admin/projects", { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await api("/v1/admin/projects", { headers: { "X-API-Key": project.keys.secret } })).status).toBe(401);
    expect(
      (await api("/v1/admin/projects", { headers: { Authorization: `Bearer ${project.keys.secret}` } })).status,
    ).toBe(401);
  });

  it("creates, reads, updates, lists with a cursor and deletes projects", async () => {
    const created = await createProject({ name: "shop", allowed_origins: ["https://shop.example/some/path"] });
    expect(created).toMatchObject({ name: "shop", allowed_origins: ["https://shop.example"] });

    const read = await api(`/v1/admin/projects/${created.id}`, { headers: adminHeaders });
    expect(await read.json()).toMatchObject({ id: created.id, name: "shop" });

    const updated = await api(`/v1/admin/projects/${created.id}`, {
      method: "PATCH",
      headers: adminHeaders,
      json: { name: "shop 2", allowed_origins: ["*"] },
    });
    expect(await updated.json()).toMatchObject({ id: created.id, name: "shop 2", allowed_origins: ["*"] });

    await createProject();
    await createProject();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : "?limit=1";
      const page = (await (await api(`/v1/admin/projects${query}`, { headers: adminHeaders })).json()) as {
        items: { id: string }[];
        next_cursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(created.id);

    const deleted = await api(`/v1/admin/projects/${created.id}`, { method: "DELETE", headers: adminHeaders });
    expect(deleted.status).toBe(204);
    expect((await api(`/v1/admin/projects/${created.id}`, { headers: adminHeaders })).status).toBe(404);
    expect((await me({ "X-API-Key": created.keys.secret })).status).toBe(401);
  });

  it("answers 404 for a project that does not exist", async () => {
    for (const [method, path] of [
      ["GET", "/v1/admin/projects/pnope"],
      ["PATCH", "/v1/admin/projects/pnope"],
      ["DELETE", "/v1/admin/projects/pnope"],
      ["GET", "/v1/admin/projects/pnope/keys"],
      ["POST", "/v1/admin/projects/pnope/signing-keys/rotate"],
    ] as const) {
      const response = await api(path, { method, headers: adminHeaders, json: method === "PATCH" ? {} : undefined });
      expect(await errorOf(response), `${method} ${path}`).toMatchObject({ status: 404, code: "not_found" });
    }
  });
});

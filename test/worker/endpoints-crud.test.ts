import { describe, expect, it } from "vitest";
import type { EndpointRecord } from "../../core/endpoints/wire";
import { endpointOf, endpointProject, registerEndpoint, upstreamUrl } from "./endpoints-helpers";
import { adminHeaders, api, createProject, errorOf } from "./helpers";

const secretHeaders = (key: string) => ({ "X-API-Key": key });

describe("endpoint management", () => {
  it("registers an endpoint with defaults, lists it and gets it, never returning secret header values", async () => {
    const project = await createProject();
    const created = await registerEndpoint(project, {
      label: "comfy",
      description: "ComfyUI on my desktop",
      headers: { Authorization: "Bearer upstream-secret", "X-Model-Key": "k-123" },
    });
    expect(created).toEqual({
      label: "comfy",
      description: "ComfyUI on my desktop",
      target: { kind: "url", url: upstreamUrl() },
      header_names: ["Authorization", "X-Model-Key"],
      timeouts: { first_byte_ms: 100_000, idle_ms: 60_000, total_ms: 600_000 },
      max_body_bytes: 10 * 1024 * 1024,
      rate_limit: { per_label: null, per_caller: null },
      access: { public_key: true, user_tokens: true, rule: null },
      created_at: expect.any(String),
      updated_at: created.created_at,
    });
    const list = await api("/v1/endpoints", { headers: secretHeaders(project.keys.secret) });
    const listText = await list.text();
    expect(JSON.parse(listText)).toEqual({ items: [created], next_cursor: null });
    const one = await api("/v1/endpoints/comfy", { headers: secretHeaders(project.keys.secret) });
    const oneText = await one.text();
    expect(JSON.parse(oneText)).toEqual(created);
    for (const text of [listText, oneText, JSON.stringify(created)]) {
      expect(text).not.toContain("upstream-secret");
      expect(text).not.toContain("k-123");
    }
  });

  it("updates only the fields sent, merging secret headers (null removes one)", async () => {
    const { project } = await endpointProject({ label: "m", headers: { "X-A": "1", "X-B": "2" } });
    const response = await api("/v1/endpoints/m", {
      method: "PATCH",
      headers: secretHeaders(project.keys.secret),
      json: {
        headers: { "x-a": null, "X-C": "3" },
        timeouts: { first_byte_ms: 500 },
        rate_limit: { per_caller: 30 },
        access: { public_key: false, rule: 'auth.role == "pro"' },
      },
    });
    expect(response.status).toBe(200);
    const updated = await endpointOf(response);
    expect(updated).toMatchObject({
      header_names: ["X-B", "X-C"],
      timeouts: { first_byte_ms: 500, idle_ms: 60_000, total_ms: 600_000 },
      rate_limit: { per_label: null, per_caller: 30 },
      access: { public_key: false, user_tokens: true, rule: 'auth.role == "pro"' },
      target: { kind: "url", url: upstreamUrl() },
    });
  });

  it("switches a target between a URL and a tunnel", async () => {
    const { project } = await endpointProject({ label: "t" });
    const toTunnel = await api("/v1/endpoints/t", {
      method: "PATCH",
      headers: secretHeaders(project.keys.secret),
      json: { target: { kind: "tunnel" } },
    });
    expect((await endpointOf(toTunnel)).target).toEqual({ kind: "tunnel" });
  });

  it("deletes an endpoint; the label is then unknown", async () => {
    const { project } = await endpointProject({ label: "gone" });
    const deleted = await api("/v1/endpoints/gone", { method: "DELETE", headers: secretHeaders(project.keys.secret) });
    expect(await deleted.json()).toEqual({ label: "gone", deleted: true });
    const again = await api("/v1/endpoints/gone", { headers: secretHeaders(project.keys.secret) });
    expect(await errorOf(again)).toMatchObject({ status: 404, code: "endpoint_not_found", details: { label: "gone" } });
  });

  it("refuses a second endpoint of the same label with conflict", async () => {
    const { project } = await endpointProject({ label: "dup" });
    const again = await api("/v1/endpoints", {
      method: "POST",
      headers: secretHeaders(project.keys.secret),
      json: { label: "dup", target: { kind: "tunnel" } },
    });
    expect(await errorOf(again)).toMatchObject({ status: 409, code: "conflict" });
  });

  it("refuses bad settings with typed 4xx errors", async () => {
    const project = await createProject();
    const post = (json: unknown) =>
      api("/v1/endpoints", { method: "POST", headers: secretHeaders(project.keys.secret), json });
    const url = { kind: "url", url: upstreamUrl() };
    const cases: [unknown, string][] = [
      [{ label: "Bad Label", target: url }, "invalid_request"],
      [{ label: "x", target: { kind: "url", url: "ftp://example.com" } }, "invalid_request"],
      [{ label: "x", target: { kind: "url", url: "https://user:pw@example.com" } }, "invalid_request"],
      [{ label: "x", target: { kind: "url", url: "https://example.com/?q=1" } }, "invalid_request"],
      [{ label: "x", target: url, headers: { Host: "evil" } }, "invalid_request"],
      [{ label: "x", target: url, headers: { "X-A": "a\r\nX-B: b" } }, "invalid_request"],
      [{ label: "x", target: url, timeouts: { first_byte_ms: 5000, total_ms: 1000 } }, "invalid_request"],
      [{ label: "x", target: url, timeouts: { idle_ms: 1 } }, "invalid_request"],
      [{ label: "x", target: url, rate_limit: { per_label: 0 } }, "invalid_request"],
      [{ label: "x", target: url, access: { rule: "auth.role ==" } }, "invalid_filter"],
      [{ label: "x", target: url, access: { rule: "doc.owner == auth.id" } }, "invalid_filter"],
      [{ label: "x", target: url, surprise: true }, "invalid_request"],
    ];
    for (const [body, code] of cases) {
      const response = await post(body);
      expect((await errorOf(response)).code, JSON.stringify(body)).toBe(code);
      expect(response.status).toBeLessThan(500);
    }
    const none = await api("/v1/endpoints", { headers: secretHeaders(project.keys.secret) });
    expect(((await none.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("is for secret keys: a public key or a user token is forbidden", async () => {
    const { project, user } = await endpointProject();
    const withPublic = await api("/v1/endpoints", { headers: secretHeaders(project.keys.public) });
    expect(await errorOf(withPublic)).toMatchObject({ status: 403, code: "forbidden" });
    const withUser = await api("/v1/endpoints", { headers: { Authorization: `Bearer ${user}` } });
    expect(await errorOf(withUser)).toMatchObject({ status: 403, code: "forbidden" });
  });

  it("keeps each project's labels apart", async () => {
    const a = await endpointProject({ label: "same", description: "a" });
    const b = await endpointProject({ label: "same", description: "b" });
    const ofA = await api("/v1/endpoints/same", { headers: secretHeaders(a.secret) });
    const ofB = await api("/v1/endpoints/same", { headers: secretHeaders(b.secret) });
    expect((await endpointOf(ofA)).description).toBe("a");
    expect((await endpointOf(ofB)).description).toBe("b");
  });

  it("is also the admin API under /v1/admin/projects/:projectId/endpoints", async () => {
    const project = await createProject();
    const base = `/v1/admin/projects/${project.id}/endpoints`;
    const created = await api(base, {
      method: "POST",
      headers: adminHeaders,
      json: { label: "ops", target: { kind: "tunnel" }, headers: { "X-Token": "hidden" } },
    });
    expect(created.status).toBe(201);
    const listed = await api(base, { headers: adminHeaders });
    expect(((await listed.json()) as { items: EndpointRecord[] }).items.map((item) => item.label)).toEqual(["ops"]);
    const patched = await api(`${base}/ops`, { method: "PATCH", headers: adminHeaders, json: { description: "x" } });
    expect((await endpointOf(patched)).description).toBe("x");
    const seenByKey = await api("/v1/endpoints/ops", { headers: secretHeaders(project.keys.secret) });
    expect((await endpointOf(seenByKey)).header_names).toEqual(["X-Token"]);
    const deleted = await api(`${base}/ops`, { method: "DELETE", headers: adminHeaders });
    expect(deleted.status).toBe(200);
    const unknownProject = await api("/v1/admin/projects/nope/endpoints", { headers: adminHeaders });
    expect(await errorOf(unknownProject)).toMatchObject({ status: 404, code: "not_found" });
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminHeaders, api, createProject, errorOf } from "./helpers";

describe("the error envelope", () => {
  it("answers unknown routes with 404 not_found and a request id", async () => {
    const response = await api("/v1/nowhere");
    expect(response.status).toBe(404);
    expect(response.headers.get("X-Request-Id")).toMatch(/.+/);
    expect(await response.json()).toEqual({
      error: { code: "not_found", message: "No route for GET /v1/nowhere." },
    });
  });

  it("answers malformed JSON with 400 invalid_json", async () => {
    const response = await api("/v1/admin/projects", {
      method: "POST",
      headers: { ...adminHeaders, "Content-Type": "application/json" },
      body: '{"name": ',
    });
    const error = await errorOf(response);
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_json");
  });

  it("answers a body that fails validation with 400 invalid_request and the failing paths", async () => {
    const response = await api("/v1/admin/projects", {
      method: "POST",
      headers: adminHeaders,
      json: { name: "", allowed_origins: ["not a url"] },
    });
    const error = await errorOf(response);
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_request");
    const paths = (error.details as { issues: { path: string }[] }).issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "allowed_origins.0"]));
  });

  it("answers missing credentials with 401 unauthorized", async () => {
    const error = await errorOf(await api("/v1/auth/me"));
    expect(error).toMatchObject({ status: 401, code: "unauthorized" });
    expect(error.message).toContain("X-API-Key");
  });

  it("answers a public key on a secret-key endpoint with 403 forbidden", async () => {
    const project = await createProject();
    const response = await api("/v1/auth/token", {
      method: "POST",
      headers: { "X-API-Key": project.keys.public },
      json: { user_id: "u1" },
    });
    expect(await errorOf(response)).toMatchObject({ status: 403, code: "forbidden" });
  });

  it("answers a declared oversized body with 413 before reading it", async () => {
    const response = await api("/v1/admin/projects", {
      method: "POST",
      headers: { ...adminHeaders, "Content-Type": "application/json", "Content-Length": String(2 * 1024 * 1024) },
      body: "x".repeat(2 * 1024 * 1024),
    });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("answers an oversized streamed body (no Content-Length) with 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 32) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const response = await api("/v1/admin/projects", {
      method: "POST",
      headers: { ...adminHeaders, "Content-Type": "application/json" },
      body,
      // @ts-expect-error: workerd needs duplex for streamed request bodies, lib.dom's RequestInit lacks it
      duplex: "half",
    });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("answers an unexpected failure with a bare 500 internal and no internals", async () => {
    // Corrupt a project's stored origins so authentication throws a plain SyntaxError.
    const project = await createProject();
    await env.DB.prepare("UPDATE projects SET allowed_origins = 'not json' WHERE id = ?1").bind(project.id).run();
    const response = await api("/v1/auth/me", { headers: { "X-API-Key": project.keys.public } });
    const error = await errorOf(response);
    expect(error.status).toBe(500);
    expect(error.code).toBe("internal");
    expect(error.message).not.toMatch(/JSON|SyntaxError|at /);
    expect(response.headers.get("X-Request-Id")).toMatch(/.+/);
  });
});

describe("CORS", () => {
  it("answers a preflight from any origin", async () => {
    const response = await api("/v1/auth/me", {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-api-key",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    expect(response.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("x-api-key");
  });

  it("lets an allowed origin through and refuses any other with 403 origin_not_allowed", async () => {
    const project = await createProject({ allowed_origins: ["https://app.example"] });
    const allowed = await api("/v1/auth/me", {
      headers: { "X-API-Key": project.keys.public, Origin: "https://app.example" },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");

    const refused = await api("/v1/auth/me", {
      headers: { "X-API-Key": project.keys.public, Origin: "https://evil.example" },
    });
    expect(await errorOf(refused)).toMatchObject({ status: 403, code: "origin_not_allowed" });
  });
});

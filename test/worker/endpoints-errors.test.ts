import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../worker/app";
import { endpointProject, proxy, requestTag, upstreamUrl, waitForUpstreamEvent } from "./endpoints-helpers";
import { api, createProject, errorOf, mintToken } from "./helpers";

/** A proxy error: the envelope, and the header that tells it from the upstream's own answers. */
async function proxyError(response: Response) {
  expect(response.headers.get("X-Flarebase-Error")).not.toBeNull();
  const error = await errorOf(response);
  expect(response.headers.get("X-Flarebase-Error")).toBe(error.code);
  return error;
}

describe("the proxy's own errors", () => {
  it("unknown label: endpoint_not_found, also for another project's label", async () => {
    const other = await endpointProject({ label: "theirs" });
    const mine = await createProject();
    const response = await proxy("theirs", "/json", { headers: { "X-API-Key": mine.keys.public } });
    expect(await proxyError(response)).toMatchObject({ status: 404, code: "endpoint_not_found" });
    const ownerCall = await proxy("theirs", "/json", { headers: { "X-API-Key": other.publicKey } });
    expect(ownerCall.status).toBe(200);
  });

  it("no credentials: unauthorized", async () => {
    const { label } = await endpointProject();
    expect(await proxyError(await proxy(label, "/json"))).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("not allowed: forbidden by kind of caller or by the access rule; secret keys always may", async () => {
    const { project, label, publicKey, user, secret } = await endpointProject({
      access: { public_key: false, rule: 'auth.role == "pro"' },
    });
    const byKey = await proxy(label, "/json", { headers: { "X-API-Key": publicKey } });
    expect(await proxyError(byKey)).toMatchObject({ status: 403, code: "forbidden", details: { kind: "public" } });
    const member = await proxy(label, "/json", { headers: { Authorization: `Bearer ${user}` } });
    expect(await proxyError(member)).toMatchObject({ status: 403, code: "forbidden", details: { kind: "user" } });
    const { token: pro } = await mintToken(project, { user_id: "u2", role: "pro" });
    expect((await proxy(label, "/json", { headers: { Authorization: `Bearer ${pro}` } })).status).toBe(200);
    expect((await proxy(label, "/json", { headers: { "X-API-Key": secret } })).status).toBe(200);
  });

  it("rate limited per caller, with Retry-After; other callers and the label go on", async () => {
    const { project, label, user } = await endpointProject({ rate_limit: { per_caller: 2 } });
    const asUser = { headers: { Authorization: `Bearer ${user}` } };
    expect((await proxy(label, "/json", asUser)).status).toBe(200);
    expect((await proxy(label, "/json", asUser)).status).toBe(200);
    const third = await proxy(label, "/json", asUser);
    expect(await proxyError(third)).toMatchObject({ status: 429, code: "rate_limited", details: { scope: "caller" } });
    expect(Number(third.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    const { token: other } = await mintToken(project, { user_id: "someone-else" });
    expect((await proxy(label, "/json", { headers: { Authorization: `Bearer ${other}` } })).status).toBe(200);
  });

  it("rate limited per label, across callers", async () => {
    const { label, user, publicKey } = await endpointProject({ rate_limit: { per_label: 2 } });
    expect((await proxy(label, "/json", { headers: { Authorization: `Bearer ${user}` } })).status).toBe(200);
    expect((await proxy(label, "/json", { headers: { "X-API-Key": publicKey } })).status).toBe(200);
    const third = await proxy(label, "/json", { headers: { "X-API-Key": publicKey } });
    expect(await proxyError(third)).toMatchObject({ status: 429, code: "rate_limited", details: { scope: "label" } });
  });

  it("body too large: declared, before anything is sent, and chunked, as it streams", async () => {
    const { label, publicKey } = await endpointProject({ max_body_bytes: 1000 });
    const declared = await proxy(label, "/upload", {
      method: "POST",
      headers: { "X-API-Key": publicKey },
      body: new Uint8Array(1001),
    });
    expect(await proxyError(declared)).toMatchObject({
      status: 413,
      code: "payload_too_large",
      details: { max_bytes: 1000 },
    });
    // 500 bytes, then (once the upstream has the request) the rest: the limit is passed mid-upload.
    const id = requestTag();
    let sent = 0;
    const chunked = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 5000) return controller.close();
        if (sent === 500) await waitForUpstreamEvent(id, "received");
        sent += 500;
        controller.enqueue(new Uint8Array(500));
      },
    });
    const streamed = await proxy(label, `/upload?id=${id}`, {
      method: "POST",
      headers: { "X-API-Key": publicKey },
      body: chunked,
    });
    expect(await proxyError(streamed)).toMatchObject({ status: 413, code: "payload_too_large" });
    // The upstream saw its request break off, never a complete (truncated) body.
    expect(await waitForUpstreamEvent(id, "aborted", 2000)).toEqual(["received", "aborted"]);
    const fits = await proxy(label, "/upload", {
      method: "POST",
      headers: { "X-API-Key": publicKey },
      body: "x".repeat(1000),
    });
    expect(await fits.json()).toMatchObject({ bytes: 1000 });
  });

  it("upstream timeout: no headers within first_byte_ms", async () => {
    const { label, publicKey } = await endpointProject({ timeouts: { first_byte_ms: 300 } });
    const response = await proxy(label, "/slow?delay=5000", { headers: { "X-API-Key": publicKey } });
    expect(await proxyError(response)).toMatchObject({
      status: 504,
      code: "upstream_timeout",
      details: { timeout: "first_byte", timeout_ms: 300 },
    });
  });

  it("upstream timeout: the whole exchange past total_ms", async () => {
    const { label, publicKey } = await endpointProject({
      timeouts: { first_byte_ms: 300, idle_ms: 300, total_ms: 300 },
    });
    const response = await proxy(label, "/hang", { headers: { "X-API-Key": publicKey } });
    expect(await proxyError(response)).toMatchObject({ status: 504, code: "upstream_timeout" });
  });

  it("a stalled body breaks off after idle_ms instead of hanging", async () => {
    const { label, publicKey } = await endpointProject({ timeouts: { idle_ms: 300 } });
    const response = await proxy(label, "/stall?bytes=16", { headers: { "X-API-Key": publicKey } });
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
  });

  it("upstream unreachable: nothing listens at the upstream's port", async () => {
    const project = await createProject();
    const created = await api("/v1/endpoints", {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret },
      json: { label: "down", target: { kind: "url", url: "http://127.0.0.1:9" } },
    });
    expect(created.status).toBe(201);
    const response = await proxy("down", "/json", { headers: { "X-API-Key": project.keys.public } });
    const error = await proxyError(response);
    expect(error).toMatchObject({ status: 502, code: "upstream_unreachable", details: { label: "down" } });
    expect(error.message).not.toContain("127.0.0.1"); // the upstream's address is the project's business
  });

  it("tunnel offline: a tunnel endpoint with no tunnel connected", async () => {
    const { label, publicKey } = await endpointProject({ label: "home", target: { kind: "tunnel" } });
    const response = await proxy(label, "/json", { headers: { "X-API-Key": publicKey } });
    expect(await proxyError(response)).toMatchObject({ status: 503, code: "tunnel_offline" });
  });
});

describe("the SSRF guard", () => {
  /** The app under another environment: the same D1, the local-development switch off. */
  async function deployed(path: string, init: RequestInit & { json?: unknown } = {}) {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set("Content-Type", "application/json");
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`https://flarebase.test${path}`, {
        ...rest,
        headers,
        body: json === undefined ? null : JSON.stringify(json),
      }),
      { ...env, ALLOW_PRIVATE_UPSTREAMS: "false" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  }

  it("deployed, refuses loopback, private, link-local and local names; allows public ones", async () => {
    const project = await createProject();
    const register = (url: string) =>
      deployed("/v1/endpoints", {
        method: "POST",
        headers: { "X-API-Key": project.keys.secret },
        json: { label: `l${crypto.randomUUID().slice(0, 8)}`, target: { kind: "url", url } },
      });
    for (const url of [
      upstreamUrl(),
      "http://localhost:8188",
      "http://10.0.0.5",
      "http://192.168.1.20:7860",
      "http://172.16.0.1",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]:8000",
      "http://[::ffff:127.0.0.1]",
      "http://[fd00:ec2::254]",
      "http://2130706433",
      "http://0x7f.1",
      "http://gpu.local",
      "http://metadata.google.internal",
      "http://100.64.0.1",
      "http://0.0.0.0:80",
    ]) {
      const error = await errorOf(await register(url));
      expect(error, url).toMatchObject({
        status: 400,
        code: "invalid_request",
        details: { reason: "private_address" },
      });
    }
    for (const url of ["https://gpu.example.com:8443", "http://93.184.215.14", "https://[2606:4700::1111]"]) {
      expect((await register(url)).status, url).toBe(201);
    }
  });

  it("locally (ALLOW_PRIVATE_UPSTREAMS=true), allows them; deployed, such an endpoint is unreachable", async () => {
    const { label, publicKey } = await endpointProject();
    expect((await proxy(label, "/json", { headers: { "X-API-Key": publicKey } })).status).toBe(200);
    const response = await deployed(`/v1/proxy/${label}/json`, { headers: { "X-API-Key": publicKey } });
    expect(await proxyError(response)).toMatchObject({
      status: 502,
      code: "upstream_unreachable",
      details: { reason: "private_address" },
    });
  });
});

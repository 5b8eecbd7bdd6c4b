// The endpoint proxy end to end: the SDK in Node, over real sockets, to a real `wrangler dev`,
// which forwards to a real upstream (test/upstream/server.mjs) running in this process.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpoint, type FlarebaseClient, FlarebaseError } from "../../sdk/index";
import { RESULT_PNG, startUpstream, type Upstream } from "../upstream/server.mjs";
import { clientFor, createTestProject } from "./helpers";

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream?.close());

/**
 * A project with an endpoint `label` on the upstream. Proxied calls use the plain fetch: the
 * proxy passes the upstream's answers through, and those have no schema in /openapi.json (the
 * management calls go through the validating fetch of the secret client).
 */
async function endpointProject(settings: Record<string, unknown> = {}) {
  const setup = await createTestProject();
  const label = `e${crypto.randomUUID().slice(0, 8)}`;
  await endpoint(setup.secretClient).register({ label, target: { kind: "url", url: upstream.url }, ...settings });
  const caller: FlarebaseClient = clientFor({
    key: setup.project.keys.public,
    fetch: (input, init) => fetch(input, init),
  });
  return { ...setup, label, caller, api: endpoint(caller) };
}

/** Waits (bounded polling: the upstream is a server, nothing to await) until request `id` saw `event`. */
async function upstreamSaw(id: string, event: string, timeoutMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (!upstream.events(id).includes(event) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return upstream.events(id);
}

describe("endpoints through the SDK", () => {
  it("call() forwards method, path, query and body, and never the caller's key", async () => {
    const { label, api, project } = await endpointProject({ headers: { "X-Upstream-Key": "secret-value" } });
    const response = await api.call(label, {
      method: "POST",
      path: "/echo/x?y=1",
      headers: { "Content-Type": "application/json", Cookie: "a=b" },
      body: JSON.stringify({ hello: "world" }),
    });
    const echo = (await response.json()) as {
      method: string;
      path: string;
      query: string;
      body: string;
      headers: Record<string, string>;
    };
    expect(echo).toMatchObject({ method: "POST", path: "/echo/x", query: "?y=1", body: '{"hello":"world"}' });
    expect(echo.headers["x-upstream-key"]).toBe("secret-value");
    expect(echo.headers["x-api-key"]).toBeUndefined();
    expect(echo.headers.cookie).toBeUndefined();
    expect(JSON.stringify(echo.headers)).not.toContain(project.keys.public);
    expect(echo.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("an event stream arrives event by event: the first while the upstream is still writing", async () => {
    const { label, api } = await endpointProject();
    const id = crypto.randomUUID();
    const response = await api.call(label, { path: `/sse?events=4&delay=300&id=${id}` });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('data: {"n":0');
    expect(upstream.events(id)).toEqual(["received"]); // neither ended nor finished yet
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += new TextDecoder().decode(chunk.value);
    expect(rest).toContain("event: done");
    expect(await upstreamSaw(id, "finished")).toEqual(["received", "sse-ended", "finished"]);
  });

  it("a vLLM-style streamed completion, read token by token", async () => {
    const { label, api } = await endpointProject();
    const response = await api.call(label, {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    const tokens = text
      .split("\n\n")
      .filter((event) => event.startsWith("data: {"))
      .map((event) => JSON.parse(event.slice(6)).choices[0].delta.content);
    expect(tokens.join("")).toBe("Hello from your local model.");
    expect(text).toContain("data: [DONE]");
  });

  // Aborting before the upstream answered is tested in workerd (test/worker/endpoints-streaming.test.ts):
  // wrangler dev's local proxy in front of the Worker does not pass a client's disconnect on
  // before the response has started (workers-sdk#6467), deployed Workers do.
  it("aborting while the body streams cancels the upstream request", async () => {
    const { label, api } = await endpointProject();
    const id = crypto.randomUUID();
    const controller = new AbortController();
    const response = await api.call(label, { path: `/sse?events=100&delay=100&id=${id}`, signal: controller.signal });
    await (response.body as ReadableStream<Uint8Array>).getReader().read();
    controller.abort();
    expect(await upstreamSaw(id, "aborted")).toEqual(["received", "aborted"]);
  });

  it("a 50 MB body both ways, byte for byte", async () => {
    const { label, api } = await endpointProject({ max_body_bytes: 60 * 1024 * 1024 });
    const size = 50 * 1024 * 1024;
    const download = new Uint8Array(await (await api.call(label, { path: `/bytes?size=${size}` })).arrayBuffer());
    expect(download.length).toBe(size);
    let mismatch = -1;
    for (let i = 0; i < size; i++) {
      if (download[i] !== i % 251) {
        mismatch = i;
        break;
      }
    }
    expect(mismatch).toBe(-1);
    const upload = await api.call(label, { method: "POST", path: "/upload", body: download });
    expect(await upload.json()).toMatchObject({ bytes: size, content_length: String(size) });
  }, 120_000);

  it("the proxy's own errors reject with a typed FlarebaseError; the upstream's come back as they are", async () => {
    const { label, api, project } = await endpointProject({ timeouts: { first_byte_ms: 200 }, max_body_bytes: 10 });
    await expect(api.call("nope")).rejects.toMatchObject({ status: 404, code: "endpoint_not_found" });
    await expect(api.call(label, { path: "/slow?delay=3000" })).rejects.toMatchObject({
      status: 504,
      code: "upstream_timeout",
    });
    await expect(api.call(label, { method: "POST", path: "/upload", body: "x".repeat(11) })).rejects.toMatchObject({
      status: 413,
      code: "payload_too_large",
    });
    const upstream503 = await api.call(label, { path: "/status/503" });
    expect(upstream503.status).toBe(503);
    const noKey = endpoint(clientFor({ fetch: (input, init) => fetch(input, init) }));
    await expect(noKey.call(label)).rejects.toMatchObject({ status: 401, code: "unauthorized" });
    expect(project.id).toBeTruthy();
  });

  it("rate limited: 429 with Retry-After, typed", async () => {
    const { label, api } = await endpointProject({ rate_limit: { per_label: 1 } });
    expect((await api.call(label, { path: "/json" })).status).toBe(200);
    const error = (await api.call(label, { path: "/json" }).catch((e: unknown) => e)) as FlarebaseError;
    expect(error).toBeInstanceOf(FlarebaseError);
    expect(error).toMatchObject({ status: 429, code: "rate_limited", details: { scope: "label" } });
  });

  it("pollUntil runs a ComfyUI-like job: submit, poll the history until done, fetch the result", async () => {
    const { label, api } = await endpointProject();
    const submitted = await api.call(label, {
      method: "POST",
      path: "/prompt?steps=3",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: { 9: { class_type: "SaveImage" } } }),
    });
    const { prompt_id: promptId } = (await submitted.json()) as { prompt_id: string };
    type History = Record<string, { outputs: Record<string, { images?: { filename: string }[] }> }>;
    let polls = 0;
    const filename = await api.pollUntil(
      label,
      { path: `/history/${promptId}` },
      (history: History) => {
        polls++;
        const entry = history[promptId];
        if (!entry) return undefined;
        for (const output of Object.values(entry.outputs)) if (output.images?.[0]) return output.images[0].filename;
        return undefined;
      },
      { intervalMs: 20, timeoutMs: 10_000 },
    );
    expect(filename).toBe(`${promptId}.png`);
    expect(polls).toBe(3);
    const image = await api.call(label, { path: `/view?filename=${encodeURIComponent(filename)}` });
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(new Uint8Array(RESULT_PNG));
  });

  it("pollUntil retries 5xx and rejects a 4xx, a timeout and an abort", async () => {
    const { label, api } = await endpointProject();
    const key = crypto.randomUUID();
    const flaky = await api.pollUntil(
      label,
      { path: `/flaky/${key}?fail=2` },
      (body: { calls: number }) => body.calls,
      {
        intervalMs: 10,
      },
    );
    expect(flaky).toBe(3);
    await expect(api.pollUntil(label, { path: "/status/404" }, () => 1, { intervalMs: 10 })).rejects.toMatchObject({
      status: 404,
      code: "upstream_error",
    });
    await expect(
      api.pollUntil(label, { path: "/json" }, () => undefined, { intervalMs: 10, timeoutMs: 200 }),
    ).rejects.toMatchObject({ code: "timeout" });
    const controller = new AbortController();
    const polling = api.pollUntil(label, { path: "/json" }, () => undefined, {
      intervalMs: 10,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(polling).rejects.toMatchObject({ code: "aborted" });
  });

  it("url() names the call; management through the admin client", async () => {
    const { label, api, admin, project } = await endpointProject();
    expect(api.url(label, "/prompt")).toBe(`${api.url(label, "")}/prompt`);
    expect(api.url(label, "/prompt")).toMatch(new RegExp(`/v1/proxy/${label}/prompt$`));
    const listed = await admin.endpoints(project.id).list();
    expect(listed.items.map((item) => item.label)).toEqual([label]);
    const updated = await admin.endpoints(project.id).update(label, { headers: { "X-New": "v" } });
    expect(updated.header_names).toEqual(["X-New"]);
    await admin.endpoints(project.id).delete(label);
    await expect(api.call(label)).rejects.toMatchObject({ code: "endpoint_not_found" });
  });
});

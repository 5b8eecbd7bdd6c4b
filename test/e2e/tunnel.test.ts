// The tunnel end to end: the real CLI (dist/cli/flarebase.js) against the real `wrangler dev`,
// forwarding to the real test upstream (test/upstream/server.mjs) on loopback.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byteAt, startUpstream, type Upstream } from "../upstream/server.mjs";
import { createTestProject } from "./helpers";
import { proxy, type RunningCli, registerTunnelEndpoint, startCli, uniqueLabel } from "./tunnel-helpers";

let upstream: Upstream;
let keys: { public: string; secret: string };
const clis: RunningCli[] = [];

/** A label registered as a tunnel, served by a fresh CLI that is online. */
async function servedLabel(extra: string[] = []) {
  const label = uniqueLabel();
  await registerTunnelEndpoint(keys.secret, label);
  const cli = startCli(label, upstream.port, keys.secret, extra);
  clis.push(cli);
  await cli.waitFor(/online/);
  return { label, cli };
}

beforeAll(async () => {
  upstream = await startUpstream();
  keys = (await createTestProject()).project.keys;
});

afterAll(async () => {
  for (const cli of clis) cli.kill("SIGKILL");
  await upstream?.close();
});

describe("flarebase tunnel", () => {
  it("forwards requests to the local port and prints each one", async () => {
    const { label, cli } = await servedLabel();
    const response = await proxy(label, "/echo/a/b?q=1", keys.public, {
      method: "POST",
      headers: { "Content-Type": "text/plain", "X-Custom": "yes" },
      body: "hello tunnel",
    });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as {
      method: string;
      path: string;
      query: string;
      body: string;
      headers: Record<string, string>;
    };
    expect(echo).toMatchObject({ method: "POST", path: "/echo/a/b", query: "?q=1", body: "hello tunnel" });
    expect(echo.headers["x-custom"]).toBe("yes");
    // The caller's key never reaches the local server.
    expect(JSON.stringify(echo.headers)).not.toContain(keys.public);
    await cli.waitFor(/POST\s+\/echo\/a\/b\?q=1\s+200\s+\d+ ms/);
  });

  it("carries concurrent requests, each answered with its own response", async () => {
    const { label } = await servedLabel();
    const calls = Array.from({ length: 12 }, async (_, i) => {
      const response = await proxy(
        label,
        i % 3 === 0 ? `/slow?delay=${200 + i * 10}&n=${i}` : `/echo/${i}`,
        keys.public,
      );
      return { i, status: response.status, body: await response.text() };
    });
    for (const { i, status, body } of await Promise.all(calls)) {
      expect(status).toBe(200);
      if (i % 3 === 0) expect(JSON.parse(body)).toEqual({ slow: true });
      else expect(JSON.parse(body).path).toBe(`/echo/${i}`);
    }
  });

  it("streams a 50 MB response byte-identical", { timeout: 120_000 }, async () => {
    const { label } = await servedLabel();
    const size = 50 * 1024 * 1024;
    const response = await proxy(label, `/bytes?size=${size}`, keys.public);
    expect(response.status).toBe(200);
    const received = createHash("sha256");
    let bytes = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      received.update(chunk);
      bytes += chunk.byteLength;
    }
    const expected = createHash("sha256");
    const block = new Uint8Array(251 * 4096);
    for (let i = 0; i < block.length; i++) block[i] = byteAt(i);
    for (let offset = 0; offset < size; offset += block.length)
      expected.update(block.subarray(0, Math.min(block.length, size - offset)));
    expect(bytes).toBe(size);
    expect(received.digest("hex")).toBe(expected.digest("hex"));
  });

  it("delivers an SSE event before the local server has finished the stream", async () => {
    const { label } = await servedLabel();
    const id = `sse-${crypto.randomUUID()}`;
    const response = await proxy(label, `/sse?events=3&delay=700&id=${id}`, keys.public);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("data:");
    // The upstream is still writing: the event came through as it was sent, not at the end.
    expect(upstream.events(id)).toEqual(["received"]);
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain("event: done");
  });

  it("ends an in-flight request with a typed 502 when the CLI is killed, then 503 until one returns", async () => {
    const { label, cli } = await servedLabel();
    const id = `hang-${crypto.randomUUID()}`;
    const call = proxy(label, `/hang?id=${id}`, keys.public);
    await expect.poll(() => upstream.events(id)).toEqual(["received"]);
    cli.kill("SIGKILL");
    const response = await call;
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("tunnel_disconnected");
    await expect
      .poll(async () => {
        const offline = await proxy(label, "/json", keys.public);
        return ((await offline.json()) as { error?: { code: string } }).error?.code;
      })
      .toBe("tunnel_offline");

    const again = startCli(label, upstream.port, keys.secret);
    clis.push(again);
    await again.waitFor(/online/);
    expect(await (await proxy(label, "/json", keys.public)).json()).toEqual({ ok: true });
  });

  it("lets a restarted CLI take the label over at once; the old one stops", async () => {
    const { label, cli: old } = await servedLabel();
    const fresh = startCli(label, upstream.port, keys.secret);
    clis.push(fresh);
    await fresh.waitFor(/online/);
    expect(await old.exited).toBe(1);
    expect(old.output()).toContain("tunnel_replaced");
    const response = await proxy(label, "/echo/after-takeover", keys.public);
    expect(((await response.json()) as { path: string }).path).toBe("/echo/after-takeover");
    await fresh.waitFor(/GET\s+\/echo\/after-takeover\s+200/);
  });

  it("answers 502 upstream_unreachable when nothing listens on the local port, and stays online", async () => {
    const label = uniqueLabel();
    await registerTunnelEndpoint(keys.secret, label);
    const cli = startCli(label, 1, keys.secret);
    clis.push(cli);
    await cli.waitFor(/online/);
    const response = await proxy(label, "/json", keys.public);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("upstream_unreachable");
    await cli.waitFor(/upstream unreachable/);
  });

  it("refuses a label that is not a tunnel endpoint, and exits", async () => {
    const cli = startCli(uniqueLabel(), upstream.port, keys.secret);
    clis.push(cli);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain("endpoint_not_found");
  });
});

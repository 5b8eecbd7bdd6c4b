import { describe, expect, it } from "vitest";
import { INITIAL_WINDOW_BYTES, MAX_DATA_BYTES } from "../../core/protocol/tunnel";
import { testBytes } from "../test-bytes";
import { callTunnel, concat, connectCli, sha256, tunnelError, uniqueTunnel } from "./tunnel-helpers";

const text = (value: string) => new TextEncoder().encode(value);

describe("requests through a tunnel", () => {
  it("forwards method, path, query, headers and body, and streams the answer back", { timeout: 20_000 }, async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const body = testBytes(3 * MAX_DATA_BYTES + 17);
    const call = callTunnel(target, "/v1/run?x=1&y=two", {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream", "X-Custom": "yes" },
      body,
    });
    const request = await cli.next("request");
    expect(request.head.method).toBe("POST");
    expect(request.head.path).toBe("/v1/run?x=1&y=two");
    const headers = new Map(request.head.headers);
    expect(headers.get("x-custom")).toBe("yes");
    expect(headers.get("content-type")).toBe("application/octet-stream");
    expect(headers.has("host")).toBe(false);
    expect(await sha256(await cli.readBody(request.stream))).toBe(await sha256(body));

    cli.respond(
      request.stream,
      {
        status: 201,
        headers: [
          ["content-type", "text/plain"],
          ["set-cookie", "a=1"],
          ["set-cookie", "b=2"],
        ],
      },
      "made",
    );
    const response = await call;
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await response.text()).toBe("made");
    cli.close();
  });

  it("hands the caller each piece as it arrives: the head before the body, a piece before the end", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const call = callTunnel(target, "/events");
    const { stream } = await cli.next("request");
    await cli.readBody(stream);
    cli.send({ type: "response", stream, head: { status: 200, headers: [["content-type", "text/event-stream"]] } });
    const response = await call;
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    cli.send({ type: "data", stream, bytes: text("data: one\n\n") });
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: one\n\n");
    cli.send({ type: "data", stream, bytes: text("data: two\n\n") });
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: two\n\n");
    cli.send({ type: "end", stream });
    expect((await reader.read()).done).toBe(true);
    cli.close();
  });

  it("carries several requests at once, answered out of order, each to its own caller", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const calls = [0, 1, 2, 3, 4].map((i) => callTunnel(target, `/job/${i}`));
    const requests = await Promise.all(calls.map(() => cli.next("request")));
    expect(new Set(requests.map((r) => r.stream)).size).toBe(5);
    // Interleaved: every stream gets its head, then the bodies go out piece by piece, last first.
    for (const request of requests) {
      await cli.readBody(request.stream);
      cli.send({ type: "response", stream: request.stream, head: { status: 200, headers: [] } });
    }
    for (const request of [...requests].reverse()) {
      cli.send({ type: "data", stream: request.stream, bytes: text(`${request.head.path}:`) });
    }
    for (const request of requests) {
      cli.send({ type: "data", stream: request.stream, bytes: text("done") });
      cli.send({ type: "end", stream: request.stream });
    }
    const bodies = await Promise.all(calls.map(async (call) => (await call).text()));
    expect(bodies).toEqual([0, 1, 2, 3, 4].map((i) => `/job/${i}:done`));
    cli.close();
  });

  it("answers 503 tunnel_offline with no CLI, and after the CLI has gone", async () => {
    const target = uniqueTunnel();
    expect(await tunnelError(callTunnel(target, "/"))).toEqual({ code: "tunnel_offline", status: 503 });
    const cli = await connectCli(target);
    cli.close();
    await cli.closed;
    // The close reaches the object asynchronously; the next request after it is offline.
    await expect.poll(() => tunnelError(callTunnel(target, "/"))).toEqual({ code: "tunnel_offline", status: 503 });
  });

  it("ends a request with 502 tunnel_disconnected when the tunnel drops before the answer", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const call = callTunnel(target, "/slow");
    await cli.next("request");
    cli.close(1001);
    expect(await tunnelError(call)).toEqual({ code: "tunnel_disconnected", status: 502 });
  });

  it("breaks the body off when the tunnel drops mid-response, so the caller sees it is cut short", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const call = callTunnel(target, "/big");
    const { stream } = await cli.next("request");
    cli.send({ type: "response", stream, head: { status: 200, headers: [] } });
    cli.send({ type: "data", stream, bytes: text("partial") });
    const response = await call;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("partial");
    cli.close(1001);
    await expect(reader.read()).rejects.toThrow();
  });

  it("turns the CLI's resets into typed errors: unreachable 502, timeout 504, too large 413", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const cases = [
      ["upstream_unreachable", { code: "upstream_unreachable", status: 502 }],
      ["upstream_timeout", { code: "upstream_timeout", status: 504 }],
      ["body_too_large", { code: "payload_too_large", status: 413 }],
      ["upstream_failed", { code: "tunnel_disconnected", status: 502 }],
    ] as const;
    for (const [reason, expected] of cases) {
      const call = callTunnel(target, "/");
      const { stream } = await cli.next("request");
      cli.send({ type: "reset", stream, reset: { reason, message: "local" } });
      expect(await tunnelError(call), reason).toEqual(expected);
    }
    cli.close();
  });

  it("tells the CLI when the caller goes away mid-response", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const call = callTunnel(target, "/stream");
    const { stream } = await cli.next("request");
    cli.send({ type: "response", stream, head: { status: 200, headers: [] } });
    cli.send({ type: "data", stream, bytes: text("tick") });
    const response = await call;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    const reset = await cli.next("reset", stream);
    expect(reset.reset.reason).toBe("cancelled");
    cli.close();
  });

  it("stops the request body at the CLI's window until the CLI grants more", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const body = testBytes(INITIAL_WINDOW_BYTES + 5 * MAX_DATA_BYTES);
    const call = callTunnel(target, "/upload", { method: "PUT", body });
    const { stream } = await cli.next("request");
    // Without a window frame, exactly one window of body arrives, then nothing.
    const first: Uint8Array[] = [];
    let received = 0;
    while (received < INITIAL_WINDOW_BYTES) {
      const piece = await cli.next("data", stream);
      first.push(piece.bytes);
      received += piece.bytes.byteLength;
    }
    expect(received).toBe(INITIAL_WINDOW_BYTES);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cli.frames.filter((f) => f.stream === stream)).toEqual([]);
    cli.send({ type: "window", stream, bytes: received });
    const rest = await cli.readBody(stream);
    expect(await sha256(concat([...first, rest]))).toBe(await sha256(body));
    cli.respond(stream, { status: 204, headers: [] });
    expect((await call).status).toBe(204);
    cli.close();
  });
});

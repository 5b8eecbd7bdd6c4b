import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES } from "../../core/protocol/close-codes";
import { INITIAL_WINDOW_BYTES, MAX_DATA_BYTES } from "../../core/protocol/tunnel";
import { callTunnel, connectCli, stubOf, tunnelError, uniqueTunnel } from "./tunnel-helpers";

describe("tunnel takeover, flow control and hibernation", () => {
  it("lets a reconnecting CLI take over at once: the stale socket is told why and closed, its requests get 502", async () => {
    const target = uniqueTunnel();
    const stale = await connectCli(target);
    const inFlight = callTunnel(target, "/slow");
    await stale.next("request");

    const fresh = await connectCli(target);
    expect(await tunnelError(inFlight)).toEqual({ code: "tunnel_disconnected", status: 502 });
    expect((await stale.closed).code).toBe(CLOSE_CODES.tunnel_replaced);
    expect(JSON.parse(stale.texts[0] ?? "{}")).toMatchObject({ type: "error", code: "tunnel_replaced" });

    const call = callTunnel(target, "/after");
    const { stream, head } = await fresh.next("request");
    expect(head.path).toBe("/after");
    fresh.respond(stream, { status: 200, headers: [] }, "fresh");
    expect(await (await call).text()).toBe("fresh");
    fresh.close();
  });

  it("never lets the CLI send beyond the window: the stream is reset, the caller gets 502", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const call = callTunnel(target, "/flood");
    const { stream } = await cli.next("request");
    await cli.readBody(stream);
    cli.send({ type: "response", stream, head: { status: 200, headers: [] } });
    const response = await call;
    // Nobody reads: one window is all the object takes; one byte more resets the stream.
    const piece = new Uint8Array(MAX_DATA_BYTES);
    for (let sent = 0; sent < INITIAL_WINDOW_BYTES; sent += piece.byteLength)
      cli.send({ type: "data", stream, bytes: piece });
    cli.send({ type: "data", stream, bytes: new Uint8Array(1) });
    const reset = await cli.next("reset", stream);
    expect(reset.reset.reason).toBe("protocol_error");
    await expect(response.text()).rejects.toThrow();
    cli.close();
  });

  it("grants the CLI more only as the caller reads", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const call = callTunnel(target, "/slow-reader");
    const { stream } = await cli.next("request");
    await cli.readBody(stream);
    cli.send({ type: "response", stream, head: { status: 200, headers: [] } });
    const reader = ((await call).body as ReadableStream<Uint8Array>).getReader();
    const piece = new Uint8Array(MAX_DATA_BYTES).fill(7);
    for (let sent = 0; sent < INITIAL_WINDOW_BYTES; sent += piece.byteLength)
      cli.send({ type: "data", stream, bytes: piece });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cli.frames.filter((f) => f.type === "window")).toEqual([]);
    let read = 0;
    while (read < INITIAL_WINDOW_BYTES / 2) read += ((await reader.read()).value as Uint8Array).byteLength;
    const window = await cli.next("window", stream);
    expect(window.bytes).toBeGreaterThan(0);
    expect(window.bytes).toBeLessThanOrEqual(read);
    cli.send({ type: "end", stream });
    await reader.cancel();
    cli.close();
  });

  it("hibernates while idle and still carries a request afterwards", async () => {
    const target = uniqueTunnel();
    const cli = await connectCli(target);
    const stub = stubOf(target);
    await evictDurableObject(stub, { webSockets: "hibernate" });
    expect(await stub.status(target.label)).toMatchObject({ online: true, in_flight: 0 });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const call = callTunnel(target, "/after-sleep?x=1", { method: "POST", body: "wake" });
    const { stream, head } = await cli.next("request");
    expect(head).toMatchObject({ method: "POST", path: "/after-sleep?x=1" });
    expect(new TextDecoder().decode(await cli.readBody(stream))).toBe("wake");
    cli.respond(stream, { status: 200, headers: [["content-type", "text/plain"]] }, "awake");
    expect(await (await call).text()).toBe("awake");
    cli.close();
  });
});

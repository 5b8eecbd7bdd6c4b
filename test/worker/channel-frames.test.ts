import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { channelStub, connectChannel, joinChannel, uniqueChannel } from "./channel-helpers";
import { createProject, type TestProject } from "./helpers";

const keyAuth = (project: TestProject, clientId: string) => ({
  protocols: ["flarebase.v1", `flarebase.key.${project.keys.public}`],
  query: { client_id: clientId },
});

describe("channel frames", () => {
  it("answers every bad frame with one typed error and keeps the connection usable", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const { socket } = await joinChannel(channel, keyAuth(project, "a"));
    const cases: [unknown, Record<string, unknown>][] = [
      ["not json", { code: "invalid_frame", ref: null }],
      ["[1,2]", { code: "invalid_frame", ref: null }],
      ['"text"', { code: "invalid_frame", ref: null }],
      [
        { v: 2, type: "publish", ref: 11 },
        { code: "unsupported_version", ref: 11, details: { supported: [1] } },
      ],
      [
        { type: "publish", ref: 12 },
        { code: "unsupported_version", ref: 12 },
      ],
      [
        { v: 1, type: "subscribe", ref: 13 },
        { code: "unknown_type", ref: 13 },
      ],
      [
        { v: 1, ref: 14 },
        { code: "unknown_type", ref: 14 },
      ],
      [
        { v: 1, type: "publish", ref: 15, name: "n" },
        { code: "invalid_frame", ref: 15 },
      ],
      [
        { v: 1, type: "publish", ref: 16, id: "has space", name: "n" },
        { code: "invalid_frame", ref: 16 },
      ],
      [
        { v: 1, type: "presence", ref: 17, action: "dance" },
        { code: "invalid_frame", ref: 17 },
      ],
      [
        { v: 1, type: "history", ref: 18, limit: 5000 },
        { code: "invalid_frame", ref: 18 },
      ],
      [
        { v: 1, type: "publish", ref: -1, id: "x", name: "n" },
        { code: "invalid_frame", ref: null },
      ],
    ];
    for (const [frame, expected] of cases) {
      socket.send(frame);
      expect(await socket.next(), JSON.stringify(frame)).toMatchObject({ type: "error", ...expected });
    }
    const issues = await socket.request({ type: "publish", name: "n" });
    expect(issues).toMatchObject({ code: "invalid_frame", details: { issues: [{ path: "id" }] } });
    // Still usable: a good publish goes through.
    expect(await socket.publish("n", "ok", { id: "good" })).toMatchObject({ type: "ack", seq: 1 });
    expect(socket.queued.filter((f) => f.type === "error")).toEqual([]);
    socket.close();
  });

  it("refuses binary frames and oversized frames with a typed error", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const { socket } = await joinChannel(channel, keyAuth(project, "a"));
    socket.ws.send(new Uint8Array([1, 2, 3]));
    expect(await socket.next()).toMatchObject({ type: "error", code: "invalid_frame", ref: null });
    socket.send({ v: 1, type: "publish", ref: 7, id: "big", name: "n", data: "x".repeat(70_000) });
    expect(await socket.next()).toMatchObject({
      type: "error",
      code: "frame_too_large",
      ref: 7,
      details: { max_bytes: 65536 },
    });
    // Multi-byte characters count as bytes, not characters.
    socket.send({ v: 1, type: "publish", ref: 8, id: "wide", name: "n", data: "é".repeat(40_000) });
    expect(await socket.next()).toMatchObject({ code: "frame_too_large", ref: 8 });
    // The ref is found at the end of the frame too (where a serializer puts a field added last).
    socket.ws.send(JSON.stringify({ v: 1, type: "publish", id: "late", name: "n", data: "x".repeat(70_000), ref: 9 }));
    expect(await socket.next()).toMatchObject({ code: "frame_too_large", ref: 9 });
    expect(await socket.publish("n", "small")).toMatchObject({ type: "ack" });
    socket.close();
  });

  it("rate limits each connection with a token bucket and says when to retry", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    await channelStub(env, project.id, channel).configure({ rate_per_second: 1, rate_burst: 5 });
    const { socket } = await joinChannel(channel, keyAuth(project, "a"));
    for (let ref = 1; ref <= 8; ref++) socket.send({ v: 1, type: "publish", ref, id: `r${ref}`, name: "n" });
    const replies = [];
    for (let ref = 1; ref <= 8; ref++) replies.push(await socket.reply(ref));
    expect(replies.map((r) => r.type)).toEqual(["ack", "ack", "ack", "ack", "ack", "error", "error", "error"]);
    expect(replies[5]).toMatchObject({ code: "rate_limited", details: { retry_after_ms: expect.any(Number) } });
    // Another connection has its own bucket.
    const other = await joinChannel(channel, keyAuth(project, "b"));
    expect(await other.socket.publish("n", 1)).toMatchObject({ type: "ack" });
    socket.close();
    other.socket.close();
  });

  it("refuses a later request while an earlier refused one is not retried, so order is kept", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    await channelStub(env, project.id, channel).configure({ rate_per_second: 10, rate_burst: 2 });
    const { socket } = await joinChannel(channel, keyAuth(project, "a"));
    for (let ref = 1; ref <= 3; ref++) socket.send({ v: 1, type: "publish", ref, id: `o${ref}`, name: "n" });
    expect((await socket.reply(3)).code).toBe("rate_limited");
    // A token is back after 100 ms; ref 4 would now overtake ref 3, so it is refused until 3 is retried.
    await scheduler.wait(250);
    socket.send({ v: 1, type: "publish", ref: 4, id: "o4", name: "n" });
    expect(await socket.reply(4)).toMatchObject({ code: "rate_limited" });
    socket.send({ v: 1, type: "publish", ref: 3, id: "o3", name: "n" });
    expect(await socket.reply(3)).toMatchObject({ type: "ack", seq: 3 });
    socket.send({ v: 1, type: "publish", ref: 4, id: "o4", name: "n" });
    expect(await socket.reply(4)).toMatchObject({ type: "ack", seq: 4 });
    socket.close();
  });

  it("answers a ping with a ref with a pong carrying it", async () => {
    const project = await createProject();
    const { socket } = await joinChannel(uniqueChannel(), keyAuth(project, "a"));
    expect(await socket.request({ type: "ping" })).toEqual({ v: 1, type: "pong", ref: 1 });
    socket.close();
  });

  it("refuses connections beyond the channel's limit with an error frame and 4005", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    await channelStub(env, project.id, channel).configure({ max_connections: 2 });
    const a = await joinChannel(channel, keyAuth(project, "a"));
    const b = await joinChannel(channel, keyAuth(project, "b"));
    const refused = await connectChannel(channel, keyAuth(project, "c"));
    expect(await refused.next()).toMatchObject({ type: "error", code: "too_many_connections", ref: null });
    expect(await refused.closed()).toEqual({ code: 4005, reason: "too_many_connections" });
    a.socket.close();
    b.socket.close();
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { channelStub, joinChannel, uniqueChannel } from "./channel-helpers";
import { api, createProject } from "./helpers";

describe("channel pub/sub", () => {
  it("greets a connection with who it is, the channel's seq and the presence snapshot", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const { socket, hello } = await joinChannel(channel, {
      query: { client_id: "alice" },
      protocols: ["flarebase.v1", `flarebase.key.${project.keys.public}`],
    });
    expect(socket.response.headers.get("Sec-WebSocket-Protocol")).toBe("flarebase.v1");
    expect(hello).toMatchObject({
      v: 1,
      type: "hello",
      client_id: "alice",
      user_id: null,
      channel,
      seq: 0,
      resume: null,
      presence: [],
      capabilities: ["subscribe", "publish", "presence", "history"],
    });
    expect(hello.connection_id).toMatch(/^[a-z0-9]{16}$/);
    expect(hello.epoch).toMatch(/^[a-z0-9]{12}$/);
    socket.close();
  });

  it("assigns gap-free seqs and delivers every message to every subscriber, the publisher included", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const auth = { protocols: ["flarebase.v1", `flarebase.key.${project.keys.public}`] };
    const a = await joinChannel(channel, { ...auth, query: { client_id: "a" } });
    const b = await joinChannel(channel, { ...auth, query: { client_id: "b" } });
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await a.socket.publish("chat", { i }, { id: `m${i}` }));
    expect(acks.map((ack) => [ack.type, ack.seq, ack.id, ack.duplicate])).toEqual([
      ["ack", 1, "m0", false],
      ["ack", 2, "m1", false],
      ["ack", 3, "m2", false],
      ["ack", 4, "m3", false],
      ["ack", 5, "m4", false],
    ]);
    for (const { socket } of [a, b]) {
      const items = await socket.messages(5);
      expect(items.map((m) => [m.seq, m.id, m.name, m.data, m.client_id])).toEqual(
        [0, 1, 2, 3, 4].map((i) => [i + 1, `m${i}`, "chat", { i }, "a"]),
      );
      expect(typeof items[0]?.timestamp).toBe("number");
    }
    const state = await channelStub(env, project.id, channel).state();
    expect(state).toMatchObject({ seq: 5, stored: 5, oldest_seq: 1, connections: 2 });
    a.socket.close();
    b.socket.close();
  });

  it("publishes from REST with the same seq, dedup and fan-out", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const { socket } = await joinChannel(channel, { query: { api_key: project.keys.public } });
    const post = () =>
      api(`/v1/channels/${channel}/messages`, {
        method: "POST",
        headers: { "X-API-Key": project.keys.secret },
        json: { name: "news", data: { text: "hi" }, id: "rest-1" },
      });
    const first = await post();
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ id: "rest-1", seq: 1, duplicate: false });
    const again = await post();
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: "rest-1", seq: 1, duplicate: true });
    const [message] = await socket.messages(1);
    expect(message).toMatchObject({ id: "rest-1", seq: 1, name: "news", data: { text: "hi" }, client_id: "server" });
    const history = await api(`/v1/channels/${channel}/messages`, { headers: { "X-API-Key": project.keys.public } });
    expect(await history.json()).toMatchObject({ items: [{ id: "rest-1", seq: 1 }], next_cursor: null });
    socket.close();
  });
});

import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HEARTBEAT_PING, HEARTBEAT_PONG } from "../../core/protocol/envelope";
import type { ChannelObject } from "../../durable-objects/channel/channel";
import { channelStub, joinChannel, uniqueChannel } from "./channel-helpers";
import { api, createProject, type TestProject } from "./helpers";

const keyAuth = (project: TestProject, clientId: string) => ({
  protocols: ["flarebase.v1", `flarebase.key.${project.keys.public}`],
  query: { client_id: clientId },
});

describe("channel hibernation and eviction", () => {
  it("loses nothing when evicted mid-stream, and presence survives", { timeout: 20_000 }, async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    const alice = await joinChannel(channel, keyAuth(project, "alice"));
    const bob = await joinChannel(channel, keyAuth(project, "bob"));
    const pub = await joinChannel(channel, keyAuth(project, "pub"));
    expect(await alice.socket.request({ type: "presence", action: "enter", data: { name: "Alice" } })).toMatchObject({
      type: "ack",
    });
    for (const s of [alice, bob, pub]) expect(await s.socket.next("presence")).toMatchObject({ action: "enter" });

    // 20 publishes in flight, then the object is evicted (sockets hibernate), then 20 more.
    const refs: number[] = [];
    const send = (i: number) => {
      const ref = 1000 + i;
      refs.push(ref);
      pub.socket.send({ v: 1, type: "publish", ref, id: `m${i}`, name: "n", data: i });
    };
    for (let i = 1; i <= 20; i++) send(i);
    await evictDurableObject(stub, { webSockets: "hibernate" });
    for (let i = 21; i <= 40; i++) send(i);
    const acks = await Promise.all(refs.map((ref) => pub.socket.reply(ref)));
    expect(acks.map((ack) => ack.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    for (const s of [alice, bob, pub]) {
      const items = await s.socket.messages(40);
      expect(items.map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }

    // Presence came back from the attachments: in a snapshot, and in a newcomer's hello.
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const snapshot = await bob.socket.request({ type: "presence_get" });
    expect(snapshot).toMatchObject({
      type: "presence_snapshot",
      members: [{ client_id: "alice", data: { name: "Alice" } }],
    });
    const carol = await joinChannel(channel, keyAuth(project, "carol"));
    expect(carol.hello.presence).toMatchObject([{ client_id: "alice", data: { name: "Alice" } }]);

    // And leaves when its connection closes, even though the object was evicted in between.
    await evictDurableObject(stub, { webSockets: "hibernate" });
    alice.socket.close();
    expect(await bob.socket.next("presence")).toMatchObject({
      action: "leave",
      member: { client_id: "alice", data: { name: "Alice" } },
    });
    for (const s of [bob, pub, carol]) s.socket.close();
  });

  it("after hibernating while idle, a publish reaches every subscriber", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    const subscribers = await Promise.all(
      ["a", "b", "c", "d", "e"].map((id) => joinChannel(channel, keyAuth(project, id))),
    );
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const rest = await api(`/v1/channels/${channel}/messages`, {
      method: "POST",
      headers: { "X-API-Key": project.keys.secret },
      json: { name: "wake", data: 1 },
    });
    expect(rest.status).toBe(201);
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const [first] = subscribers;
    expect(await first?.socket.publish("wake", 2, { id: "w2" })).toMatchObject({ type: "ack", seq: 2 });
    for (const { socket } of subscribers) {
      expect((await socket.messages(2)).map((m) => [m.seq, m.data])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      socket.close();
    }
  });

  it("answers the heartbeat from the runtime while hibernated, and keeps no alarm or timer", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    const { socket } = await joinChannel(channel, keyAuth(project, "a"));
    await socket.publish("n", 1);
    await socket.messages(1);
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const before = socket.raw.length;
    socket.send(HEARTBEAT_PING);
    await socket.next("pong");
    expect(socket.raw.slice(before)).toEqual([HEARTBEAT_PONG]);
    const { heartbeat, alarm } = await runInDurableObject(stub, async (_instance: ChannelObject, state) => ({
      heartbeat: state.getWebSockets().map((ws) => state.getWebSocketAutoResponseTimestamp(ws)),
      alarm: await state.storage.getAlarm(),
    }));
    // The runtime recorded that it answered the ping itself: the object's code never ran for it.
    expect(heartbeat).toHaveLength(1);
    expect(heartbeat[0]).toBeInstanceOf(Date);
    expect(alarm).toBeNull();
    socket.close();
  });

  it("reaps a silent connection with a heartbeat_timeout error frame, then close code 4008", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    await channelStub(env, project.id, channel).configure({ idle_timeout_ms: 2000 });
    const silent = await joinChannel(channel, keyAuth(project, "silent"));
    const talker = await joinChannel(channel, keyAuth(project, "talker"));
    // Reaping is lazy: past the deadline, the next event (the talker's publish) closes the silent one.
    await scheduler.wait(2300);
    await talker.socket.publish("n", 1);
    const error = await silent.socket.next("error");
    expect(error).toMatchObject({ type: "error", ref: null, code: "heartbeat_timeout" });
    expect(await silent.socket.closed()).toEqual({ code: 4008, reason: "heartbeat timeout" });
    talker.socket.close();
  });

  it("keeps the attachment small and versioned", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    const { socket } = await joinChannel(channel, keyAuth(project, "someone@example.com"));
    await socket.request({ type: "presence", action: "enter", data: { name: "Someone", color: "#aa3300" } });
    const attachments = await runInDurableObject(stub, (_instance: ChannelObject, state) =>
      state.getWebSockets().map((ws) => ws.deserializeAttachment() as Record<string, unknown>),
    );
    expect(attachments).toHaveLength(1);
    expect(attachments[0]).toMatchObject({ v: 1, client: "someone@example.com", kind: "public", ops: 15 });
    expect(JSON.stringify(attachments[0]).length).toBeLessThan(256);
    socket.close();
  });
});

import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ChannelObject } from "../../durable-objects/channel/channel";
import { channelStub, joinChannel, uniqueChannel } from "./channel-helpers";
import { createProject, type TestProject } from "./helpers";

const keyAuth = (project: TestProject, clientId: string) => ({
  protocols: ["flarebase.v1", `flarebase.key.${project.keys.public}`],
  query: { client_id: clientId } as Record<string, string | number>,
});

async function publishMany(project: TestProject, channel: string, from: number, to: number) {
  const { socket } = await joinChannel(channel, keyAuth(project, "publisher"));
  for (let i = from; i <= to; i++) {
    const ack = await socket.publish("n", i, { id: `p${i}` });
    expect(ack).toMatchObject({ type: "ack", seq: i });
  }
  socket.close();
}

describe("channel resume", () => {
  it("delivers exactly the missed messages, in order, before live traffic", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const first = await joinChannel(channel, keyAuth(project, "reader"));
    await publishMany(project, channel, 1, 3);
    const seen = await first.socket.messages(3);
    expect(seen.map((m) => m.seq)).toEqual([1, 2, 3]);
    first.socket.close();

    await publishMany(project, channel, 4, 9);
    const resumed = await joinChannel(channel, {
      ...keyAuth(project, "reader"),
      query: { client_id: "reader", since_seq: 3, epoch: first.hello.epoch },
    });
    expect(resumed.hello.resume).toEqual({ status: "ok", since_seq: 3, replayed: 6 });
    expect(resumed.hello.seq).toBe(9);
    // A live message published now must come after the whole replay.
    const live = await joinChannel(channel, keyAuth(project, "live"));
    await live.socket.publish("n", 10, { id: "p10" });
    const items = await resumed.socket.messages(7);
    expect(items.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(items.map((m) => m.data)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    resumed.socket.close();
    live.socket.close();
  });

  it("resuming at the head replays nothing and reports ok", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    await publishMany(project, channel, 1, 2);
    const { socket, hello } = await joinChannel(channel, {
      ...keyAuth(project, "r"),
      query: { client_id: "r", since_seq: 2 },
    });
    expect(hello.resume).toEqual({ status: "ok", since_seq: 2, replayed: 0 });
    expect(socket.queued).toEqual([]);
    socket.close();
  });

  it("says so explicitly when the gap is older than the buffer, and replays what is left", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    await channelStub(env, project.id, channel).configure({ replay_max_count: 3 });
    await publishMany(project, channel, 1, 8);
    const { socket, hello } = await joinChannel(channel, {
      ...keyAuth(project, "r"),
      query: { client_id: "r", since_seq: 2 },
    });
    expect(hello.resume).toEqual({
      status: "gap",
      reason: "too_old",
      since_seq: 2,
      missed_from: 3,
      missed_to: 5,
      replayed: 3,
    });
    expect((await socket.messages(3)).map((m) => m.seq)).toEqual([6, 7, 8]);
    socket.close();
  });

  it("reports a reset for another epoch or a seq from the future, and replays nothing", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    await publishMany(project, channel, 1, 2);
    for (const query of [{ since_seq: 1, epoch: "someotherepoch" }, { since_seq: 50 }] as Record<
      string,
      string | number
    >[]) {
      const { socket, hello } = await joinChannel(channel, {
        ...keyAuth(project, "r"),
        query: { client_id: "r", ...query },
      });
      expect(hello.resume).toMatchObject({ status: "gap", reason: "reset", missed_from: null, replayed: 0 });
      expect(hello.seq).toBe(2);
      socket.close();
    }
  });

  it("keeps the replay buffer within its count and age bounds, never dropping the newest message", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    await stub.configure({ replay_max_count: 20 });
    await publishMany(project, channel, 1, 60);
    const state = await stub.state();
    expect(state.seq).toBe(60);
    expect(state.stored).toBeGreaterThanOrEqual(20);
    expect(state.stored).toBeLessThanOrEqual(22); // trimmed in batches of at most count/16
    // Age every stored message past the age bound: all but the newest go, and seq carries on.
    await runInDurableObject(stub, (_instance: ChannelObject, state) => {
      state.storage.sql.exec("UPDATE hub_messages SET timestamp = timestamp - ?", 48 * 3600 * 1000);
    });
    await evictDurableObject(stub);
    const { socket, hello } = await joinChannel(channel, {
      ...keyAuth(project, "r"),
      query: { client_id: "r", since_seq: 0 },
    });
    expect(hello.resume).toEqual({
      status: "gap",
      reason: "too_old",
      since_seq: 0,
      missed_from: 1,
      missed_to: 59,
      replayed: 1,
    });
    expect((await socket.messages(1)).map((m) => m.seq)).toEqual([60]);
    socket.close();
    expect(await stub.state()).toMatchObject({ seq: 60, stored: 1, oldest_seq: 60 });
    await publishMany(project, channel, 61, 61);
    expect(await stub.state()).toMatchObject({ seq: 61, stored: 2, oldest_seq: 60 });
  });

  it("survives eviction: the buffer, the seq and the epoch are in storage", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    const { hello } = await joinChannel(channel, keyAuth(project, "r"));
    await publishMany(project, channel, 1, 4);
    await evictDurableObject(stub, { webSockets: "close" });
    const again = await joinChannel(channel, {
      ...keyAuth(project, "r"),
      query: { client_id: "r", since_seq: 1, epoch: hello.epoch },
    });
    expect(again.hello.epoch).toBe(hello.epoch);
    expect(again.hello.resume).toEqual({ status: "ok", since_seq: 1, replayed: 3 });
    expect((await again.socket.messages(3)).map((m) => m.seq)).toEqual([2, 3, 4]);
    again.socket.close();
  });
});

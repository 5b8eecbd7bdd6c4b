import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ChannelObject } from "../../durable-objects/channel/channel";
import { channelStub, joinChannel, uniqueChannel } from "./channel-helpers";
import { api, createProject, type TestProject } from "./helpers";

const keyAuth = (project: TestProject, clientId: string) => ({
  protocols: ["flarebase.v1", `flarebase.key.${project.keys.public}`],
  query: { client_id: clientId },
});

describe("channel publish", () => {
  it("acks a duplicate id with the original seq and does not deliver it again, even after eviction", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    const sub = await joinChannel(channel, keyAuth(project, "sub"));
    const pub = await joinChannel(channel, keyAuth(project, "pub"));
    const first = await pub.socket.publish("n", "once", { id: "dup-1" });
    expect(first).toMatchObject({ type: "ack", id: "dup-1", seq: 1, duplicate: false });
    const again = await pub.socket.publish("n", "once", { id: "dup-1" });
    expect(again).toMatchObject({ type: "ack", id: "dup-1", seq: 1, duplicate: true, timestamp: first.timestamp });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const afterEviction = await pub.socket.publish("n", "once", { id: "dup-1" });
    expect(afterEviction).toMatchObject({ seq: 1, duplicate: true });
    // The same id from another client is another message: ids are scoped by client.
    const other = await sub.socket.publish("n", "mine", { id: "dup-1" });
    expect(other).toMatchObject({ seq: 2, duplicate: false });
    const items = await sub.socket.messages(2);
    expect(items.map((m) => [m.seq, m.data, m.client_id])).toEqual([
      [1, "once", "pub"],
      [2, "mine", "sub"],
    ]);
    expect(sub.socket.queued).toEqual([]);
    sub.socket.close();
    pub.socket.close();
  });

  it("forgets ids once they are older than the dedup window", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    const pub = await joinChannel(channel, keyAuth(project, "pub"));
    expect(await pub.socket.publish("n", 1, { id: "old" })).toMatchObject({ seq: 1 });
    await runInDurableObject(stub, (_instance: ChannelObject, state) => {
      state.storage.sql.exec("UPDATE hub_dedup SET timestamp = timestamp - ?", 10 * 60 * 1000);
    });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    expect(await pub.socket.publish("n", 2, { id: "fresh" })).toMatchObject({ seq: 2, duplicate: false });
    expect(await pub.socket.publish("n", 1, { id: "old" })).toMatchObject({ seq: 3, duplicate: false });
    pub.socket.close();
  });

  it("delivers each publisher's messages in publish order when publishers interleave", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const sub = await joinChannel(channel, keyAuth(project, "sub"));
    const publishers = await Promise.all(["p1", "p2", "p3"].map((id) => joinChannel(channel, keyAuth(project, id))));
    // Fire everything without waiting for acks, so frames from the three sockets interleave.
    let ref = 1;
    for (let i = 0; i < 30; i++) {
      for (const { socket } of publishers) {
        socket.send({ v: 1, type: "publish", ref: ref++, id: `m${i}`, name: "n", data: i });
      }
    }
    const items = await sub.socket.messages(90);
    expect(items.map((m) => m.seq)).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    for (const id of ["p1", "p2", "p3"]) {
      expect(items.filter((m) => m.client_id === id).map((m) => m.data)).toEqual(
        Array.from({ length: 30 }, (_, i) => i),
      );
    }
    for (const { socket } of [sub, ...publishers]) socket.close();
  });

  it("coalesces a burst into one frame per subscriber, bounded in size, without reordering", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const stub = channelStub(env, project.id, channel);
    const sub = await joinChannel(channel, keyAuth(project, "sub"));
    // A burst: 100 publishes in one turn of the object.
    await runInDurableObject(stub, (instance: ChannelObject) => {
      for (let i = 1; i <= 100; i++) instance.publishMessage({ client_id: "srv", id: `b${i}`, name: "n", data: i });
    });
    const burst = await sub.socket.next("messages");
    expect(burst.items.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // With a smaller batch bound the same burst goes out as several frames, still in order.
    await stub.configure({ coalesce_max_items: 30 });
    await runInDurableObject(stub, (instance: ChannelObject) => {
      for (let i = 101; i <= 200; i++) instance.publishMessage({ client_id: "srv", id: `b${i}`, name: "n", data: i });
    });
    const sizes: number[] = [];
    const seqs: unknown[] = [];
    while (seqs.length < 100) {
      const frame = await sub.socket.next("messages");
      sizes.push(frame.items.length);
      seqs.push(...frame.items.map((m) => m.seq));
    }
    expect(sizes).toEqual([30, 30, 30, 10]);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 101));
    sub.socket.close();
  });

  it("delivers ephemeral messages live without storing them or giving them a seq", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const sub = await joinChannel(channel, keyAuth(project, "sub"));
    const pub = await joinChannel(channel, keyAuth(project, "pub"));
    const ack = await pub.socket.publish("typing", true, { id: "t1", ephemeral: true });
    expect(ack).toMatchObject({ type: "ack", id: "t1", seq: null });
    expect(await pub.socket.publish("chat", "hi", { id: "c1" })).toMatchObject({ seq: 1 });
    const items = await sub.socket.messages(2);
    expect(items[0]).toMatchObject({ id: "t1", seq: null, name: "typing", data: true, ephemeral: true });
    expect(items[1]).toMatchObject({ id: "c1", seq: 1 });
    const history = await api(`/v1/channels/${channel}/messages`, { headers: { "X-API-Key": project.keys.public } });
    expect(((await history.json()) as { items: unknown[] }).items).toHaveLength(1);
    sub.socket.close();
    pub.socket.close();
  });

  it("pages history backwards with a cursor, over sockets and REST", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const pub = await joinChannel(channel, keyAuth(project, "pub"));
    for (let i = 1; i <= 7; i++) await pub.socket.publish("n", i, { id: `h${i}` });
    const page1 = await pub.socket.request({ type: "history", limit: 3 });
    expect(page1).toMatchObject({ type: "history_page", has_more: true, next_before_seq: 5 });
    expect((page1.items as { seq: number }[]).map((m) => m.seq)).toEqual([7, 6, 5]);
    const page3 = await pub.socket.request({ type: "history", limit: 3, before_seq: 2 });
    expect(page3).toMatchObject({ has_more: false, next_before_seq: null, items: [{ seq: 1 }] });

    const headers = { "X-API-Key": project.keys.public };
    const rest1 = (await (await api(`/v1/channels/${channel}/messages?limit=4`, { headers })).json()) as {
      items: { seq: number }[];
      next_cursor: string | null;
    };
    expect(rest1.items.map((m) => m.seq)).toEqual([7, 6, 5, 4]);
    expect(rest1.next_cursor).toBe("4");
    const rest2 = (await (
      await api(`/v1/channels/${channel}/messages?limit=4&cursor=${rest1.next_cursor}`, { headers })
    ).json()) as { items: { seq: number }[]; next_cursor: string | null };
    expect(rest2.items.map((m) => m.seq)).toEqual([3, 2, 1]);
    expect(rest2.next_cursor).toBeNull();
    pub.socket.close();
  });

  it("validates REST publishes and refuses messages over the size limit", async () => {
    const project = await createProject();
    const channel = uniqueChannel();
    const headers = { "X-API-Key": project.keys.secret };
    const missingName = await api(`/v1/channels/${channel}/messages`, { method: "POST", headers, json: { data: 1 } });
    expect(missingName.status).toBe(400);
    const badName = await api("/v1/channels/bad%20name/messages", { method: "POST", headers, json: { name: "n" } });
    expect(badName.status).toBe(400);
    const big = await api(`/v1/channels/${channel}/messages`, {
      method: "POST",
      headers,
      json: { name: "n", data: "x".repeat(70_000) },
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: "payload_too_large", details: { max_bytes: 65536 } } });
    const anonymous = await api(`/v1/channels/${channel}/messages`, { method: "POST", json: { name: "n" } });
    expect(anonymous.status).toBe(401);
  });
});

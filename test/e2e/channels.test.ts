// Realtime channels through the SDK against the real worker (wrangler dev, see global-setup.ts):
// publish and delivery, history, presence, connection state and typed errors.
import { afterEach, describe, expect, it } from "vitest";
import {
  type ChannelMessage,
  type ConnectionEvent,
  type FlarebaseClient,
  FlarebaseError,
  type PresenceEvent,
} from "../../sdk/index";
import { Recorder, uniqueChannel } from "./channels-helpers";
import { clientFor, createTestProject, rejection } from "./helpers";

/** Clients opened by a test, closed after it whatever happened. */
const opened: FlarebaseClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.realtime.close();
});

async function twoClients() {
  const test = await createTestProject();
  const alice = clientFor({ key: test.project.keys.public });
  const bob = clientFor({ key: test.project.keys.public });
  opened.push(alice, bob);
  return { ...test, alice, bob };
}

async function realtimeError(fn: () => Promise<unknown>): Promise<FlarebaseError> {
  const error = await rejection(fn);
  expect(error).toBeInstanceOf(FlarebaseError);
  return error as FlarebaseError;
}

describe("channels: publish and delivery", () => {
  it("resolves a publish on its ack with the seq and delivers it to on(fn) and on(name, fn)", async () => {
    const { alice, bob } = await twoClients();
    const name = uniqueChannel();
    const all = new Recorder<ChannelMessage>();
    const chats = new Recorder<ChannelMessage>();
    const bobChannel = bob.realtime.channels.get(name);
    bobChannel.on(all.push);
    const offChats = bobChannel.on("chat", chats.push);
    await bob.connection.once("connected");

    const aliceChannel = alice.realtime.channels.get(name);
    expect(alice.realtime.channels.get(name)).toBe(aliceChannel);
    const first = await aliceChannel.publish("chat", { text: "hi" });
    expect(first).toEqual({ id: expect.any(String), seq: 1, timestamp: expect.any(Number), duplicate: false });
    expect((await aliceChannel.publish("other", 2)).seq).toBe(2);

    await all.count(2);
    expect(all.items).toEqual([
      {
        id: first.id,
        seq: 1,
        name: "chat",
        data: { text: "hi" },
        client_id: alice.realtime.clientId,
        timestamp: first.timestamp,
      },
      {
        id: expect.any(String),
        seq: 2,
        name: "other",
        data: 2,
        client_id: alice.realtime.clientId,
        timestamp: expect.any(Number),
      },
    ]);
    expect(chats.items.map((message) => message.seq)).toEqual([1]);

    offChats();
    offChats(); // twice is harmless
    await aliceChannel.publish("chat", "again");
    await all.count(3);
    expect(chats.items).toHaveLength(1);
    expect(bobChannel.seq).toBe(3);
  });

  it("delivers the publisher's own messages to it, and a resent id once, with the original seq", async () => {
    const { alice } = await twoClients();
    const channel = alice.realtime.channels.get(uniqueChannel());
    const seen = new Recorder<ChannelMessage>();
    channel.on(seen.push);
    const first = await channel.publish("note", { n: 1 }, { id: "note-1" });
    const again = await channel.publish("note", { n: 1 }, { id: "note-1" });
    expect(again).toEqual({ id: "note-1", seq: first.seq, timestamp: first.timestamp, duplicate: true });
    const next = await channel.publish("note", { n: 2 });
    expect(next.seq).toBe((first.seq as number) + 1);
    await seen.until((items) => items.some((message) => message.seq === next.seq), "the second note");
    expect(seen.items.map((message) => message.id)).toEqual(["note-1", next.id]);
  });

  it("delivers ephemeral messages live, without a seq, and keeps them out of history", async () => {
    const { alice, bob } = await twoClients();
    const name = uniqueChannel();
    const seen = new Recorder<ChannelMessage>();
    bob.realtime.channels.get(name).on(seen.push);
    await bob.connection.once("connected");
    const channel = alice.realtime.channels.get(name);
    const typing = await channel.publish("typing", { on: true }, { ephemeral: true });
    expect(typing).toMatchObject({ seq: null, duplicate: false });
    const stored = await channel.publish("chat", "stored");
    await seen.count(2);
    expect(seen.items.map((message) => [message.name, message.seq])).toEqual([
      ["typing", null],
      ["chat", stored.seq],
    ]);
    expect((await channel.history()).items.map((message) => message.name)).toEqual(["chat"]);
  });

  it("delivers REST publishes to SDK subscribers with the same sequence and dedup", async () => {
    const { alice, secretClient } = await twoClients();
    const name = uniqueChannel();
    const seen = new Recorder<ChannelMessage>();
    const channel = alice.realtime.channels.get(name);
    channel.on(seen.push);
    await channel.publish("from-socket", 1);
    const body = { name: "from-rest", data: { ok: true }, id: "rest-1" };
    const rest = await secretClient.request<{ seq: number; duplicate: boolean }>(
      "POST",
      `/v1/channels/${name}/messages`,
      {
        body,
      },
    );
    expect(rest).toMatchObject({ seq: 2, duplicate: false });
    const retried = await secretClient.request<{ seq: number; duplicate: boolean }>(
      "POST",
      `/v1/channels/${name}/messages`,
      { body },
    );
    expect(retried).toMatchObject({ seq: 2, duplicate: true });
    await seen.count(2);
    expect(seen.items[1]).toMatchObject({ seq: 2, name: "from-rest", data: { ok: true }, client_id: "server" });
    await channel.publish("after", 3);
    await seen.count(3);
    expect(seen.items.map((message) => message.seq)).toEqual([1, 2, 3]);
  });
});

describe("channels: rate limits", () => {
  it("paces a burst beyond the connection's rate limit: every publish resolves, stored in publish order", async () => {
    const { alice } = await twoClients();
    const channel = alice.realtime.channels.get(uniqueChannel());
    channel.attach();
    await alice.connection.once("connected");
    // A public key may send a burst of 200 frames, then 50 per second (the hello says so).
    const results = await Promise.all(Array.from({ length: 260 }, (_, n) => channel.publish("n", n)));
    expect(results.map((result) => result.seq)).toEqual(Array.from({ length: 260 }, (_, n) => n + 1));
  });
});

describe("channels: history", () => {
  it("pages stored messages backwards, newest first, like the REST history", async () => {
    const { alice } = await twoClients();
    const name = uniqueChannel();
    const channel = alice.realtime.channels.get(name);
    for (let n = 1; n <= 7; n++) await channel.publish("n", n);

    const first = await channel.history({ limit: 3 });
    expect(first.items.map((message) => message.data)).toEqual([7, 6, 5]);
    expect(first).toMatchObject({ has_more: true, next_before_seq: 5 });
    const pages = [first];
    let page = first;
    while (page.has_more) {
      page = await channel.history({ limit: 3, beforeSeq: page.next_before_seq as number });
      pages.push(page);
    }
    expect(pages.map((p) => p.items.map((message) => message.seq))).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
    expect(page.next_before_seq).toBeNull();

    const rest = await alice.request<{ items: ChannelMessage[]; next_cursor: string | null }>(
      "GET",
      `/v1/channels/${name}/messages`,
      { query: { limit: 3 } },
    );
    expect(rest.items).toEqual(first.items);
    expect(rest.next_cursor).toBe("5");
  });
});

describe("channels: presence", () => {
  it("sends enter, update and leave to others, answers get(), and keeps the member list", async () => {
    const { alice, bob } = await twoClients();
    const name = uniqueChannel();
    const events = new Recorder<PresenceEvent>();
    const enters = new Recorder<PresenceEvent>();
    const bobChannel = bob.realtime.channels.get(name);
    bobChannel.presence.on(events.push);
    bobChannel.presence.on("enter", enters.push);
    await bob.connection.once("connected");

    const aliceChannel = alice.realtime.channels.get(name);
    await aliceChannel.presence.enter({ name: "Alice" });
    await aliceChannel.presence.update({ name: "Alice", away: true });
    await events.count(2);
    expect(bobChannel.presence.members).toEqual([
      { client_id: alice.realtime.clientId, data: { name: "Alice", away: true }, timestamp: expect.any(Number) },
    ]);
    expect(await bobChannel.presence.get()).toEqual(bobChannel.presence.members);
    await aliceChannel.presence.leave();
    await events.count(3);
    expect(events.items.map((event) => [event.action, event.member.client_id, event.member.data])).toEqual([
      ["enter", alice.realtime.clientId, { name: "Alice" }],
      ["update", alice.realtime.clientId, { name: "Alice", away: true }],
      ["leave", alice.realtime.clientId, { name: "Alice", away: true }],
    ]);
    expect(enters.items).toHaveLength(1);
    expect(bobChannel.presence.members).toEqual([]);
  });

  it("gives a newcomer the snapshot as enter events, shows it in REST, and leaves on close", async () => {
    const { alice, bob } = await twoClients();
    const name = uniqueChannel();
    const aliceChannel = alice.realtime.channels.get(name);
    await aliceChannel.presence.enter({ name: "Alice" });

    const events = new Recorder<PresenceEvent>();
    const bobChannel = bob.realtime.channels.get(name);
    bobChannel.presence.on(events.push);
    await events.count(1);
    expect(events.items[0]).toMatchObject({ action: "enter", member: { client_id: alice.realtime.clientId } });
    const rest = await bob.request<{ items: unknown[]; total: number }>("GET", `/v1/channels/${name}/presence`);
    expect(rest).toMatchObject({ total: 1, items: [{ client_id: alice.realtime.clientId, data: { name: "Alice" } }] });

    aliceChannel.close();
    await events.count(2);
    expect(events.items[1]).toMatchObject({ action: "leave", member: { client_id: alice.realtime.clientId } });
  });
});

describe("channels: connection state", () => {
  it("reports connecting then connected, and close() is final", async () => {
    const { alice } = await twoClients();
    const events = new Recorder<ConnectionEvent>();
    alice.connection.on(events.push);
    expect(alice.connection.state).toBe("idle");
    const name = uniqueChannel();
    const channel = alice.realtime.channels.get(name);
    channel.attach();
    await events.until((items) => items.some((event) => event.state === "connected"), "connected");
    expect(events.items.map((event) => [event.channel, event.previous, event.state])).toEqual([
      [name, "idle", "connecting"],
      [name, "connecting", "connected"],
    ]);
    expect(alice.connection.state).toBe("connected");
    expect(channel.connection).toEqual({
      connection_id: expect.any(String),
      client_id: alice.realtime.clientId,
      user_id: null,
    });

    alice.realtime.close();
    expect(alice.connection.state).toBe("closed");
    expect(channel.state).toBe("closed");
    expect(events.items.at(-1)).toMatchObject({ state: "closed", previous: "connected" });
    const error = await realtimeError(() => channel.publish("late", 1));
    expect(error.code).toBe("closed");
    expect(() => alice.realtime.channels.get(name)).toThrow(TypeError);
  });

  it("rejects publishes pending at close with code closed", async () => {
    const { alice } = await twoClients();
    const channel = alice.realtime.channels.get(uniqueChannel());
    const pending = channel.publish("never", 1);
    channel.close();
    const error = await realtimeError(() => pending);
    expect(error.code).toBe("closed");
  });
});

describe("channels: typed errors", () => {
  it("refuses actions outside a token's capabilities with forbidden, keeping the connection", async () => {
    const { secretClient } = await twoClients();
    const { token } = await secretClient.auth.createToken({
      user_id: "reader",
      claims: { channels: { "news:*": ["subscribe", "history"], "chat:*": ["*"] } },
    });
    const reader = clientFor({ token });
    opened.push(reader);
    const news = reader.realtime.channels.get(uniqueChannel("news"));
    const publish = await realtimeError(() => news.publish("headline", "no"));
    expect(publish).toMatchObject({ code: "forbidden", status: 0, details: { capability: "publish" } });
    const presence = await realtimeError(() => news.presence.enter({}));
    expect(presence).toMatchObject({ code: "forbidden", details: { capability: "presence" } });
    expect(news.state).toBe("connected");
    expect((await news.history()).items).toEqual([]);
    expect(news.connection?.user_id).toBe("reader");

    const chat = reader.realtime.channels.get(uniqueChannel("chat"));
    expect((await chat.publish("hi", 1)).seq).toBe(1);
  });

  it("fails a channel it may not subscribe to with forbidden, and does not retry", async () => {
    const { secretClient } = await twoClients();
    const { token } = await secretClient.auth.createToken({
      user_id: "u1",
      claims: { channels: { "chat:*": ["*"] } },
    });
    const client = clientFor({ token });
    opened.push(client);
    const failed = new Recorder<ConnectionEvent>();
    client.connection.on("failed", failed.push);
    const secret = client.realtime.channels.get(uniqueChannel("admin"));
    const pending = secret.publish("x", 1);
    const error = await realtimeError(() => pending);
    expect(error).toMatchObject({ code: "forbidden", details: { capability: "subscribe" } });
    await failed.count(1);
    expect(failed.items[0]?.error?.code).toBe("forbidden");
    expect(secret.state).toBe("failed");
    expect(client.connection.state).toBe("failed");
  });

  it("fails with unauthorized for a bad key, and refuses bad names, oversized and invalid publishes", async () => {
    const { alice } = await twoClients();
    const stranger = clientFor({ key: "pk_notakey_0000000000000000" });
    opened.push(stranger);
    const refused = await realtimeError(() => stranger.realtime.channels.get(uniqueChannel()).publish("x", 1));
    expect(refused.code).toBe("unauthorized");

    expect(() => alice.realtime.channels.get("no spaces")).toThrow(TypeError);
    const channel = alice.realtime.channels.get(uniqueChannel());
    const tooBig = await realtimeError(() => channel.publish("big", "x".repeat(70_000)));
    expect(tooBig).toMatchObject({ code: "frame_too_large", details: { max_bytes: 65536 } });
    const badId = await realtimeError(() => channel.publish("bad", 1, { id: "has spaces" }));
    expect(badId.code).toBe("invalid_frame");
    // The connection is still usable after every refusal.
    expect((await channel.publish("fine", 1)).seq).toBe(1);
  });
});

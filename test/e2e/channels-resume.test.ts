// Realtime channels through the SDK when connections die: resume from the last seq, resend of
// unacknowledged publishes with the same id (exactly once), presence restored, explicit gaps.
import { afterEach, describe, expect, it } from "vitest";
import type { ChannelMessage, ConnectionEvent, FlarebaseClient, GapEvent, PresenceEvent } from "../../sdk/index";
import { cuttableWebSocket, Recorder, uniqueChannel } from "./channels-helpers";
import { clientFor, createTestProject, silentServer } from "./helpers";

/** Reconnect fast: these tests cut sockets on purpose and wait for the SDK to come back. */
const FAST = { minDelayMs: 20, maxDelayMs: 200 };

const opened: FlarebaseClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.realtime.close();
});

function open(key: string, WebSocket?: ReturnType<typeof cuttableWebSocket>["WebSocket"]): FlarebaseClient {
  const client = clientFor({ key, WebSocket, realtime: { reconnect: FAST } });
  opened.push(client);
  return client;
}

const seqs = (messages: ChannelMessage[]) => messages.map((message) => message.seq);

describe("channels: reconnect and resume", () => {
  it("resumes a cut subscriber from its last seq: every message once, in order, with state events", async () => {
    const { project } = await createTestProject();
    const sockets = cuttableWebSocket();
    const bob = open(project.keys.public, sockets.WebSocket);
    const alice = open(project.keys.public);
    const name = uniqueChannel();
    const seen = new Recorder<ChannelMessage>();
    const states = new Recorder<ConnectionEvent>();
    const bobChannel = bob.realtime.channels.get(name);
    bobChannel.on(seen.push);
    await bob.connection.once("connected");
    const aliceChannel = alice.realtime.channels.get(name);
    for (let n = 1; n <= 3; n++) await aliceChannel.publish("n", n);
    await seen.count(3);

    bob.connection.on(states.push);
    const firstConnection = bobChannel.connection?.connection_id;
    expect(sockets.cutAll()).toBe(1);
    for (let n = 4; n <= 6; n++) await aliceChannel.publish("n", n);
    await seen.count(6);
    expect(seqs(seen.items)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen.items.map((message) => message.data)).toEqual([1, 2, 3, 4, 5, 6]);
    await states.until((events) => events.some((event) => event.state === "connected"), "reconnected");
    expect(states.items.map((event) => event.state)).toEqual(["disconnected", "connecting", "connected"]);
    expect(states.items[0]).toMatchObject({
      channel: name,
      previous: "connected",
      error: { code: "connection_lost" },
      retry_in_ms: expect.any(Number),
    });
    expect(bobChannel.connection?.connection_id).not.toBe(firstConnection);
    expect(bobChannel.seq).toBe(6);
  });

  it("queues publishes made while disconnected and sends them after reconnecting", async () => {
    const { project } = await createTestProject();
    const sockets = cuttableWebSocket();
    const alice = open(project.keys.public, sockets.WebSocket);
    const channel = alice.realtime.channels.get(uniqueChannel());
    await channel.publish("n", 1);
    sockets.cutAll();
    const results = await Promise.all([channel.publish("n", 2), channel.publish("n", 3)]);
    expect(results.map((result) => [result.seq, result.duplicate])).toEqual([
      [2, false],
      [3, false],
    ]);
  });

  it("resends unacknowledged publishes with the same id after a cut: stored and delivered once", async () => {
    const { project } = await createTestProject();
    const sockets = cuttableWebSocket();
    const alice = open(project.keys.public, sockets.WebSocket);
    const bob = open(project.keys.public);
    const name = uniqueChannel();
    const seen = new Recorder<ChannelMessage>();
    bob.realtime.channels.get(name).on(seen.push);
    await bob.connection.once("connected");
    const aliceChannel = alice.realtime.channels.get(name);
    aliceChannel.attach();
    await alice.connection.once("connected");

    // The server stores the publishes, but their acks never reach the SDK…
    const [socket] = sockets.live;
    if (!socket) throw new Error("no socket");
    socket.drop = (frame) => frame.type === "ack";
    const publishes = [1, 2, 3].map((n) => aliceChannel.publish("n", n));
    await seen.count(3);
    // …then the connection dies. The SDK reconnects and resends all three with their ids.
    socket.cut();
    const results = await Promise.all(publishes);
    expect(results.map((result) => [result.seq, result.duplicate])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(new Set(results.map((result) => result.id)).size).toBe(3);
    const next = await aliceChannel.publish("n", 4);
    expect(next).toMatchObject({ seq: 4, duplicate: false });
    await seen.count(4);
    expect(seqs(seen.items)).toEqual([1, 2, 3, 4]);
    expect(seen.items.slice(0, 3).map((message) => message.id)).toEqual(results.map((result) => result.id));
    const history = await aliceChannel.history();
    expect(seqs(history.items)).toEqual([4, 3, 2, 1]);
  });

  it("enters presence again after a reconnect, so the member stays", async () => {
    const { project } = await createTestProject();
    const sockets = cuttableWebSocket();
    const alice = open(project.keys.public, sockets.WebSocket);
    const bob = open(project.keys.public);
    const name = uniqueChannel();
    const aliceChannel = alice.realtime.channels.get(name);
    await aliceChannel.presence.enter({ name: "Alice" });
    const events = new Recorder<PresenceEvent>();
    const bobChannel = bob.realtime.channels.get(name);
    bobChannel.presence.on(events.push);
    await events.count(1);

    const reconnected = alice.connection.once("connected");
    sockets.cutAll();
    await reconnected;
    // Requests go out in order, so this snapshot is taken after the SDK's re-enter.
    const members = await aliceChannel.presence.get();
    expect(members).toEqual([
      { client_id: alice.realtime.clientId, data: { name: "Alice" }, timestamp: expect.any(Number) },
    ]);
    // Bob may have seen the old connection leave and the new one enter; he ends with Alice present.
    await events.until(
      () => bobChannel.presence.members.some((member) => member.client_id === alice.realtime.clientId),
      "Alice present for Bob",
    );
    const bobMembers = await bobChannel.presence.get();
    expect(bobMembers.map((member) => [member.client_id, member.data])).toEqual([
      [alice.realtime.clientId, { name: "Alice" }],
    ]);
  });
});

describe("channels: starting from a seq", () => {
  it("replays what came after sinceSeq, then live messages", async () => {
    const { project } = await createTestProject();
    const alice = open(project.keys.public);
    const name = uniqueChannel();
    const aliceChannel = alice.realtime.channels.get(name);
    for (let n = 1; n <= 5; n++) await aliceChannel.publish("n", n);

    const bob = open(project.keys.public);
    const seen = new Recorder<ChannelMessage>();
    const gaps = new Recorder<GapEvent>();
    const bobChannel = bob.realtime.channels.get(name, { sinceSeq: 2 });
    bobChannel.onGap(gaps.push);
    bobChannel.on(seen.push);
    await seen.count(3);
    await aliceChannel.publish("n", 6);
    await seen.count(4);
    expect(seqs(seen.items)).toEqual([3, 4, 5, 6]);
    expect(gaps.items).toEqual([]);
  });

  it("reports a reset gap for a seq the channel never reached, and starts from the head", async () => {
    const { project } = await createTestProject();
    const alice = open(project.keys.public);
    const name = uniqueChannel();
    const aliceChannel = alice.realtime.channels.get(name);
    for (let n = 1; n <= 2; n++) await aliceChannel.publish("n", n);

    const bob = open(project.keys.public);
    const gaps = new Recorder<GapEvent>();
    const seen = new Recorder<ChannelMessage>();
    const bobChannel = bob.realtime.channels.get(name, { sinceSeq: 50 });
    bobChannel.onGap(gaps.push);
    bobChannel.on(seen.push);
    await gaps.count(1);
    expect(gaps.items).toEqual([{ reason: "reset", missed_from: null, missed_to: null }]);
    expect(bobChannel.seq).toBe(2);
    await aliceChannel.publish("n", 3);
    await seen.count(1);
    expect(seqs(seen.items)).toEqual([3]);
  });

  it("says which messages fell out of the replay buffer, and delivers the rest", async () => {
    const { project } = await createTestProject();
    // A secret key publishes at the trusted rate: 1001 messages overflow the 1000-message buffer.
    const server = open(project.keys.secret);
    const name = uniqueChannel();
    const serverChannel = server.realtime.channels.get(name);
    // In two halves: the SDK holds at most 1000 unanswered requests.
    await Promise.all(Array.from({ length: 500 }, (_, n) => serverChannel.publish("n", n + 1)));
    const acks = await Promise.all(Array.from({ length: 501 }, (_, n) => serverChannel.publish("n", n + 501)));
    expect(acks.at(-1)?.seq).toBe(1001);

    const bob = open(project.keys.public);
    const gaps = new Recorder<GapEvent>();
    const seen = new Recorder<ChannelMessage>();
    const bobChannel = bob.realtime.channels.get(name, { sinceSeq: 0 });
    bobChannel.onGap(gaps.push);
    bobChannel.on(seen.push);
    await seen.count(1000);
    expect(gaps.items).toEqual([{ reason: "too_old", missed_from: 1, missed_to: 1 }]);
    expect(seqs(seen.items)).toEqual(Array.from({ length: 1000 }, (_, n) => n + 2));
  });
});

describe("channels: liveness", () => {
  it("replaces a socket that stops answering heartbeats, and resumes", async () => {
    const { project } = await createTestProject();
    const sockets = cuttableWebSocket();
    const client = clientFor({
      key: project.keys.public,
      WebSocket: sockets.WebSocket,
      realtime: { reconnect: { ...FAST, heartbeatMs: 100, heartbeatTimeoutMs: 200 } },
    });
    opened.push(client);
    const channel = client.realtime.channels.get(uniqueChannel());
    const states = new Recorder<ConnectionEvent>();
    channel.attach();
    await client.connection.once("connected");
    client.connection.on(states.push);
    const [socket] = sockets.live;
    if (!socket) throw new Error("no socket");
    // The connection goes silent (a half-open TCP connection): nothing reaches the SDK any more.
    socket.drop = () => true;
    await states.until((events) => events.some((event) => event.state === "connected"), "a new connection");
    expect(states.items[0]).toMatchObject({ state: "disconnected", error: { code: "timeout" } });
    expect((await channel.publish("alive", 1)).seq).toBe(1);
  });

  it("gives up on a connection attempt that gets no hello within connectTimeoutMs, and retries", async () => {
    const silent = await silentServer();
    try {
      const client = clientFor({
        url: silent.url,
        key: "pk_x",
        realtime: { reconnect: { connectTimeoutMs: 200, minDelayMs: 5000 } },
      });
      opened.push(client);
      const states = new Recorder<ConnectionEvent>();
      client.connection.on(states.push);
      client.realtime.channels.get("any").attach();
      await states.until((events) => events.some((event) => event.state === "disconnected"), "a timeout");
      expect(states.items.map((event) => event.state)).toEqual(["connecting", "disconnected"]);
      expect(states.items[1]).toMatchObject({ error: { code: "timeout" }, retry_in_ms: expect.any(Number) });
    } finally {
      await silent.close();
    }
  });
});

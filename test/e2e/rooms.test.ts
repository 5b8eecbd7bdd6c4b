// Rooms through the SDK against the real worker: chat among several clients whose sockets are cut
// at random (every message once, in order, everywhere), shared state under concurrent writers and
// cuts (everyone ends with the same state and version), the Cocobase SDK's RoomChat and listRooms, typed
// refusals, actions and moderation.
import { afterEach, describe, expect, it } from "vitest";
import {
  type ActionMessage,
  type ChatMessage,
  type FlarebaseClient,
  FlarebaseError,
  listRooms,
  type Participant,
  type Room,
  RoomChat,
  type RoomClosedEvent,
  type RoomJoinedEvent,
  type RoomRemovedEvent,
  type RoomSendResult,
} from "../../sdk/index";
import { cuttableWebSocket, Recorder } from "./channels-helpers";
import { baseUrl, clientFor, createTestProject, rejection } from "./helpers";

/** Reconnect fast: these tests cut sockets on purpose and wait for the SDK to come back. */
const FAST = { minDelayMs: 20, maxDelayMs: 200 };

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const closable of opened.splice(0)) closable.close();
});

const uniqueRoom = (prefix = "room"): string => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

interface Member {
  client: FlarebaseClient;
  sockets: ReturnType<typeof cuttableWebSocket>;
  room: Room;
  messages: Recorder<ChatMessage>;
}

/** A client with cuttable sockets in room `id`, recording the chat messages it is handed. */
function member(key: string, id: string, userId: string): Member {
  const sockets = cuttableWebSocket();
  const client = clientFor({ key, WebSocket: sockets.WebSocket, realtime: { reconnect: FAST } });
  opened.push(client.realtime);
  const room = client.realtime.room(id, userId, userId.toUpperCase());
  const messages = new Recorder<ChatMessage>();
  room.on("message", messages.push);
  return { client, sockets, room, messages };
}

/** Cuts the connection of a random member (its requests in flight are resent after it reconnects). */
function cutRandom(members: Member[]): number {
  const target = members[Math.floor(Math.random() * members.length)] as Member;
  return target.sockets.cutAll();
}

/** Resolves once `check()` holds, looking again after every event of the room that could change it. */
async function settled(room: Room, check: () => boolean, what: string): Promise<void> {
  const events = new Recorder<unknown>();
  const offs = (["joined", "participant_joined", "participant_left", "delta", "state"] as const).map((name) =>
    room.on(name, events.push),
  );
  try {
    await events.until(check, what);
  } finally {
    for (const off of offs) off();
  }
}

describe("rooms: chat", () => {
  it("a chat of 4 clients with random reconnects: everyone sees every message once, in order", {
    timeout: 20_000,
  }, async () => {
    const { project } = await createTestProject();
    const id = uniqueRoom("chat");
    const members = ["ann", "ben", "cat", "dan"].map((userId) => member(project.keys.public, id, userId));
    const [owner, ...others] = members as [Member, ...Member[]];
    const created = await owner.room.create({ title: "Chaos chat" });
    expect(created).toMatchObject({ created: true, room_title: "Chaos chat", rejoined: false });
    await Promise.all(others.map((other) => other.room.join()));

    // Waves of concurrent sends from everyone; in each, a random member is cut mid-flight.
    const waves = 5;
    const perWave = 3;
    const perMember = waves * perWave;
    const results: RoomSendResult[] = [];
    let cuts = 0;
    for (let wave = 0; wave < waves; wave++) {
      const sends = members.flatMap(({ room }, index) =>
        Array.from({ length: perWave }, (_, n) => room.sendMessage(`${index}:${wave * perWave + n}`)),
      );
      cuts += cutRandom(members);
      results.push(...(await Promise.all(sends)));
    }
    const total = members.length * perMember;

    // Each send stored once: distinct seqs 1..total.
    expect(results.map((result) => result.seq).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: total }, (_, n) => n + 1),
    );
    await Promise.all(members.map(({ messages }) => messages.count(total)));
    const reference = members[0]?.messages.items.map((message) => `${message.seq} ${message.content}`);
    for (const { messages } of members) {
      expect(messages.items.map((message) => message.seq)).toEqual(Array.from({ length: total }, (_, n) => n + 1));
      expect(messages.items.map((message) => `${message.seq} ${message.content}`)).toEqual(reference);
    }
    // Each member's own messages arrive in the order it sent them.
    for (const [index] of members.entries()) {
      const mine = owner.messages.items.filter((message) => message.content.startsWith(`${index}:`));
      expect(mine.map((message) => message.content)).toEqual(
        Array.from({ length: perMember }, (_, n) => `${index}:${n}`),
      );
      expect(new Set(mine.map((message) => message.user_id))).toEqual(new Set([members[index]?.room.userId]));
    }
    expect(cuts).toBe(waves);
    // After the storm, everyone is present, once.
    for (const { room } of members) {
      await settled(room, () => room.participants.length === 4, "4 participants");
      expect(room.participants.map((p) => p.user_id).sort()).toEqual(["ann", "ben", "cat", "dan"]);
    }
    const latest = await owner.room.history({ limit: 3 });
    expect(latest.items.map((item) => item.seq)).toEqual([total, total - 1, total - 2]);
  });

  it("a joiner gets recent history, participants, and joined/left events", async () => {
    const { project } = await createTestProject();
    const id = uniqueRoom();
    const ann = member(project.keys.public, id, "ann");
    await ann.room.create("History");
    for (let n = 1; n <= 5; n++) await ann.room.sendMessage(`m${n}`);
    const joinedEvents = new Recorder<Participant>();
    const leftEvents = new Recorder<Participant>();
    ann.room.on("participant_joined", joinedEvents.push);
    ann.room.on("participant_left", leftEvents.push);

    const ben = clientFor({ key: project.keys.public });
    opened.push(ben.realtime);
    const room = ben.realtime.room(id, "ben", "Ben", { history: 3, userMetadata: { team: "blue" } });
    const history = new Recorder<ChatMessage>();
    room.on("message", history.push);
    const joined = await room.join();
    expect(joined).toMatchObject({ created: false, room_id: id, room_title: "History", seq: 5 });
    expect(joined.participants.map((p) => p.user_id).sort()).toEqual(["ann", "ben"]);
    expect(history.items.map((message) => message.content)).toEqual(["m3", "m4", "m5"]);
    const benJoined = await joinedEvents.count(1);
    expect(benJoined[0]).toMatchObject({ user_id: "ben", user_name: "Ben", metadata: { team: "blue" } });
    room.leave();
    await leftEvents.count(1);
    expect(ann.room.participants.map((p) => p.user_id)).toEqual(["ann"]);
  });
});

describe("rooms: exactly once", () => {
  it("resends sends whose acks were lost, with their ids: each message stored once, each increment applied once", async () => {
    const { project } = await createTestProject();
    const id = uniqueRoom();
    const ann = member(project.keys.public, id, "ann");
    await ann.room.create("Once");
    const ben = member(project.keys.public, id, "ben");
    await ben.room.join();

    // The room applies these, but their acks never reach Ann's SDK…
    const [socket] = ann.sockets.live;
    if (!socket) throw new Error("no socket");
    socket.drop = (frame) => frame.type === "ack";
    const pending = Promise.all([
      ann.room.sendMessage("one"),
      ann.room.increment("n", 10),
      ann.room.sendMessage("two"),
    ]);
    await ben.messages.count(2);
    await settled(ben.room, () => ben.room.version === 1, "version 1");
    // …then the connection dies: the SDK reconnects and resends all three with the same ids.
    socket.cut();
    const [one, increment, two] = await pending;
    expect([one.seq, one.duplicate, two.seq, two.duplicate]).toEqual([1, true, 2, true]);
    expect(increment).toMatchObject({ version: 1, duplicate: true });
    expect(ann.room.state).toEqual({ n: 10 });
    expect(await ann.room.sendMessage("three")).toMatchObject({ seq: 3, duplicate: false });
    await ben.messages.count(3);
    expect(ben.messages.items.map((message) => message.content)).toEqual(["one", "two", "three"]);
    expect(await ben.room.requestState()).toEqual({ state: { n: 10 }, version: 1 });
  });
});

describe("rooms: shared state", () => {
  it("concurrent set/increment/delete with reconnects: every client ends with the same state and version", {
    timeout: 20_000,
  }, async () => {
    const { project } = await createTestProject();
    const id = uniqueRoom("state");
    const members = ["ann", "ben", "cat"].map((userId) => member(project.keys.public, id, userId));
    const [owner, ...others] = members as [Member, ...Member[]];
    await owner.room.create({ title: "Board", visibility: "private" });
    await Promise.all(others.map((other) => other.room.join()));

    // Rounds of concurrent writes from everyone; in each, a random member is cut mid-flight.
    const rounds = 12;
    let cuts = 0;
    for (let n = 0; n < rounds; n++) {
      const updates = members.map(({ room }) => {
        const me = room.userId;
        if (n % 4 === 3) return room.deleteState(`scratch.${me}`);
        if (n % 2 === 1) return room.setState(`scratch.${me}`, { n });
        return Promise.all([room.increment("counter"), room.setState(`players.${me}.x`, n)]);
      });
      cuts += cutRandom(members);
      await Promise.all(updates);
    }
    const writes = members.length * (rounds / 2) * 2 + members.length * (rounds / 2);

    // Exactly once under resends: every increment counted once, one version per update.
    for (const { room } of members) await settled(room, () => room.version >= writes, `version ${writes}`);
    const expected = {
      counter: members.length * (rounds / 2),
      players: { ann: { x: rounds - 2 }, ben: { x: rounds - 2 }, cat: { x: rounds - 2 } },
      scratch: {},
    };
    for (const { room } of members) {
      expect(room.version).toBe(writes);
      expect(room.state).toEqual(expected);
    }
    const snapshot = await others[0]?.room.requestState();
    expect(snapshot).toEqual({ state: expected, version: writes });
    expect(cuts).toBe(rounds);

    // A late joiner starts from the snapshot.
    const late = member(project.keys.public, id, "eve");
    const joined = await late.room.join();
    expect({ state: joined.state, version: joined.version }).toEqual({ state: expected, version: writes });
  });

  it("owner-only state, errors for bad operations, deltas with changes", async () => {
    const { project } = await createTestProject();
    const id = uniqueRoom();
    const ann = member(project.keys.public, id, "ann");
    await ann.room.create({ title: "Owned", state_write: "owner" });
    const ben = member(project.keys.public, id, "ben");
    await ben.room.join();
    const deltas = new Recorder<unknown>();
    ben.room.on("delta", deltas.push);

    const result = await ann.room.updateState([
      { op: "set", path: "board", value: [1, 2] },
      { op: "increment", path: "turn", by: 2 },
    ]);
    expect(result).toMatchObject({ version: 1, duplicate: false });
    expect(ann.room.state).toEqual({ board: [1, 2], turn: 2 });
    await deltas.count(1);
    expect(deltas.items[0]).toEqual({
      from_version: 0,
      to_version: 1,
      user_id: "ann",
      changes: [
        { path: "board", operation: "set", value: [1, 2] },
        { path: "turn", operation: "increment", value: 2 },
      ],
    });
    const forbidden = await rejection(() => ben.room.setState("board", []));
    expect(forbidden).toBeInstanceOf(FlarebaseError);
    expect(forbidden).toMatchObject({ code: "forbidden" });
    const bad = await rejection(() => ann.room.increment("board"));
    expect(bad).toMatchObject({ code: "invalid_state_operation" });
    expect(ann.room.version).toBe(1);
  });
});

describe("rooms: RoomChat and listRooms (seed usage)", () => {
  it("creates and joins with RoomChat, exchanges messages, and lists the room", async () => {
    const { project, publicClient } = await createTestProject();
    const id = uniqueRoom("general");
    const url = baseUrl();

    const alice = new RoomChat(id, { key: project.keys.public, url }, "user_1", "Alice");
    opened.push(alice);
    const joined = new Recorder<RoomJoinedEvent>();
    const aliceMessages = new Recorder<ChatMessage>();
    alice.create("General Chat");
    alice.on("joined", joined.push);
    alice.on("message", aliceMessages.push);
    await joined.count(1);
    expect(joined.items[0]?.room_title).toBe("General Chat");

    const bob = new RoomChat(id, { key: project.keys.public, url }, "user_2", "Bob");
    opened.push(bob);
    bob.join();
    const bobMessages = new Recorder<ChatMessage>();
    bob.on("message", bobMessages.push);
    await bob.sendMessage("Hello everyone!");
    await aliceMessages.count(1);
    expect(aliceMessages.items[0]).toEqual({
      kind: "message",
      id: expect.any(String),
      seq: 1,
      user_id: "user_2",
      user_name: "Bob",
      content: "Hello everyone!",
      timestamp: expect.any(Number),
    });
    await bobMessages.count(1);

    // The directory follows the room's count (written by the room, shortly after the joins).
    let listed = await listRooms({ key: project.keys.public, url });
    for (let attempt = 0; attempt < 50 && listed.items[0]?.participant_count !== 2; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      listed = await listRooms({ key: project.keys.public, url });
    }
    expect(listed).toEqual({
      items: [
        {
          id,
          title: "General Chat",
          participant_count: 2,
          max_participants: expect.any(Number),
          metadata: {},
          created_at: expect.any(String),
          last_activity_at: expect.any(String),
        },
      ],
      next_cursor: null,
    });
    const viaClient = await publicClient.realtime.listRooms({ limit: 10 });
    expect(viaClient.items.map((room) => room.id)).toEqual([id]);
  });

  it("pages the directory and leaves private rooms out", async () => {
    const { publicClient } = await createTestProject();
    const rooms = [uniqueRoom("a"), uniqueRoom("b"), uniqueRoom("c")];
    for (const id of rooms) {
      const room = publicClient.realtime.room(id, "owner", "Owner");
      opened.push(room);
      await room.create({ title: id, metadata: { game: "chess" } });
    }
    const hidden = publicClient.realtime.room(uniqueRoom("private"), "owner", "Owner");
    opened.push(hidden);
    await hidden.create({ title: "Hidden", visibility: "private" });

    const seen: string[] = [];
    let page = await publicClient.realtime.listRooms({ limit: 2 });
    for (let attempt = 0; attempt < 50 && page.items.length < 2; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      page = await publicClient.realtime.listRooms({ limit: 2 });
    }
    seen.push(...page.items.map((room) => room.id));
    expect(page.next_cursor).not.toBeNull();
    page = await publicClient.realtime.listRooms({ limit: 2, cursor: page.next_cursor });
    seen.push(...page.items.map((room) => room.id));
    expect(page.next_cursor).toBeNull();
    expect(seen.sort()).toEqual([...rooms].sort());
    expect(page.items[0]?.metadata).toEqual({ game: "chess" });
  });
});

describe("rooms: refusals, actions and moderation", () => {
  it("room_not_found and room_full are typed FlarebaseError codes; a second tab is the same participant", async () => {
    const { publicClient } = await createTestProject();
    const missing = publicClient.realtime.room(uniqueRoom("missing"), "ann", "Ann");
    opened.push(missing);
    const errors = new Recorder<FlarebaseError>();
    missing.on("error", errors.push);
    const notFound = await rejection(() => missing.join());
    expect(notFound).toBeInstanceOf(FlarebaseError);
    expect(notFound).toMatchObject({ code: "room_not_found" });
    expect(errors.items.map((error) => error.code)).toEqual(["room_not_found"]);
    expect(missing.connectionState).toBe("failed");

    const id = uniqueRoom("full");
    const owner = publicClient.realtime.room(id, "ann", "Ann");
    opened.push(owner);
    await owner.create({ title: "Duo", max_participants: 2 });
    const tab = publicClient.realtime.room(id, "ann", "Ann");
    opened.push(tab);
    const second = await tab.join();
    expect(second.participants.map((p) => p.user_id)).toEqual(["ann"]);
    const ben = publicClient.realtime.room(id, "ben", "Ben");
    opened.push(ben);
    await ben.create("Duo");
    const cat = publicClient.realtime.room(id, "cat", "Cat");
    opened.push(cat);
    const full = await rejection(() => cat.join());
    expect(full).toBeInstanceOf(FlarebaseError);
    expect(full).toMatchObject({ code: "room_full", details: { max_participants: 2 } });
  });

  it("relays actions (stored ones replayed on resume), and the owner removes and closes", async () => {
    const { project } = await createTestProject();
    const id = uniqueRoom("game");
    const ann = member(project.keys.public, id, "ann");
    await ann.room.create("Game");
    const ben = member(project.keys.public, id, "ben");
    await ben.room.join();
    const cat = member(project.keys.public, id, "cat");
    await cat.room.join();
    const benActions = new Recorder<ActionMessage>();
    ben.room.on("action", benActions.push);

    const live = await ann.room.sendAction("move", { x: 1 });
    expect(live).toMatchObject({ seq: null, duplicate: false });
    await benActions.count(1);
    expect(benActions.items[0]).toMatchObject({ action: "move", data: { x: 1 }, user_id: "ann", seq: null });

    // Ben is away while a stored action is sent: it is replayed when he is back.
    const back = new Recorder<RoomJoinedEvent>();
    ben.room.on("joined", back.push);
    ben.sockets.cutAll();
    const stored = await ann.room.sendAction("score", { points: 3 }, { store: true });
    expect(stored.seq).toBe(1);
    await back.count(1);
    expect(back.items[0]?.rejoined).toBe(true);
    await benActions.count(2);
    expect(benActions.items[1]).toMatchObject({ action: "score", seq: 1, data: { points: 3 } });

    expect(await rejection(() => ben.room.remove("cat"))).toMatchObject({ code: "forbidden" });
    const removed = new Recorder<RoomRemovedEvent>();
    cat.room.on("removed", removed.push);
    expect(await ann.room.remove("cat", "spam")).toEqual({ user_id: "cat", present: true });
    await removed.count(1);
    expect(removed.items[0]).toEqual({ removed_by: "ann", reason: "spam" });
    const again = member(project.keys.public, id, "cat");
    expect(await rejection(() => again.room.join())).toMatchObject({ code: "removed_from_room" });

    const closed = new Recorder<RoomClosedEvent>();
    ben.room.on("closed", closed.push);
    await ann.room.closeRoom("game over");
    await closed.count(1);
    expect(closed.items[0]).toEqual({ closed_by: "ann", reason: "game over" });
    expect(await rejection(() => ben.room.sendMessage("late"))).toMatchObject({ code: "room_closed" });
  });
});

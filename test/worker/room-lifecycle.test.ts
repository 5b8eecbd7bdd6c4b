import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RoomObject } from "../../durable-objects/room/room";
import { until } from "./channel-helpers";
import { api, createProject } from "./helpers";
import {
  connectRoom,
  create,
  enter,
  expectRefused,
  inspect,
  leaveAll,
  listRooms,
  participantEvent,
  roomStub,
  say,
} from "./room-helpers";

const MINUTE = 60_000;

/** The room's alarm time, or null. */
function alarmOf(projectId: string, roomId: string): Promise<number | null> {
  return runInDurableObject(roomStub(env, projectId, roomId), (_room: RoomObject, state) => state.storage.getAlarm());
}

/**
 * Moves the room's life cycle `ms` into the past (as if it had been empty that much longer), then
 * evicts it so the next event reads it back from storage, as after a real wait.
 */
async function backdate(projectId: string, roomId: string, ms: number): Promise<void> {
  const stub = roomStub(env, projectId, roomId);
  await runInDurableObject(stub, (_room: RoomObject, state) => {
    const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM hub_meta WHERE key = 'lifecycle'").one();
    const lifecycle = JSON.parse(row.value) as { empty_since: number | null };
    if (lifecycle.empty_since !== null) lifecycle.empty_since -= ms;
    state.storage.sql.exec("UPDATE hub_meta SET value = ? WHERE key = 'lifecycle'", JSON.stringify(lifecycle));
  });
  await evictDurableObject(stub);
}

describe("room eviction", () => {
  it("keeps state, messages and participants through an eviction", { timeout: 20_000 }, async () => {
    const project = await createProject();
    const stub = roomStub(env, project.id, "evict");
    const alice = await create(project, "evict", "alice", { user_name: "Alice" });
    const bob = await enter(project, "evict", "bob", { user_name: "Bob" });
    await alice.socket.request({ type: "state_update", id: "s1", ops: [{ op: "set", path: "board", value: [1, 2] }] });
    // Messages in flight while the object is evicted (the sockets hibernate).
    for (let i = 1; i <= 10; i++)
      alice.socket.send({ v: 1, type: "message", ref: 100 + i, id: `m${i}`, content: `${i}` });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    for (let i = 11; i <= 20; i++)
      alice.socket.send({ v: 1, type: "message", ref: 100 + i, id: `m${i}`, content: `${i}` });
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => alice.socket.reply(101 + i)));
    expect(acks.map((ack) => ack.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await bob.socket.messages(20)).map((m) => m.seq)).toEqual(acks.map((ack) => ack.seq));

    await evictDurableObject(stub, { webSockets: "hibernate" });
    expect(await bob.socket.request({ type: "state_get" })).toMatchObject({ version: 1, state: { board: [1, 2] } });
    expect(
      await bob.socket.request({ type: "state_update", id: "s2", ops: [{ op: "set", path: "board.2", value: 3 }] }),
    ).toMatchObject({ version: 2 });
    const carol = await enter(project, "evict", "carol");
    expect(carol.hello).toMatchObject({
      seq: 20,
      version: 2,
      state: { board: [1, 2, 3] },
      room: { owner_id: "alice" },
    });
    expect(carol.hello.participants.map((p) => [p.user_id, p.user_name]).sort()).toEqual([
      ["alice", "Alice"],
      ["bob", "Bob"],
      ["carol", "carol"],
    ]);
    // The owner is still the owner, and a leave after an eviction is still seen.
    await evictDurableObject(stub, { webSockets: "hibernate" });
    expect(await alice.socket.request({ type: "remove", user_id: "carol" })).toMatchObject({ type: "ack" });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    bob.socket.close();
    expect((await participantEvent(alice.socket, "left", "bob")).participant).toMatchObject({ user_name: "Bob" });
    leaveAll(alice);
  });
});

describe("room directory (GET /v1/rooms)", () => {
  it("lists public rooms with counts that follow joins and leaves; private rooms are not listed", async () => {
    const project = await createProject();
    const alice = await create(project, "pub", "alice", {
      title: "Public",
      max_participants: 5,
      metadata: '{"map":"forest"}',
    });
    const hidden = await create(project, "priv", "alice", { visibility: "private" });
    const { items, next_cursor } = await listRooms(project);
    expect(next_cursor).toBeNull();
    expect(items).toEqual([
      {
        id: "pub",
        title: "Public",
        participant_count: 1,
        max_participants: 5,
        metadata: { map: "forest" },
        created_at: new Date(alice.hello.room.created_at).toISOString(),
        last_activity_at: expect.any(String),
      },
    ]);
    const count = async () => (await listRooms(project)).items[0]?.participant_count;
    const bob = await enter(project, "pub", "bob");
    const bobTab = await enter(project, "pub", "bob");
    const carol = await enter(project, "pub", "carol");
    await until(async () => (await count()) === 3, "three participants are listed");
    bob.socket.close();
    carol.socket.close();
    await until(async () => (await count()) === 2, "bob (one tab left) and alice are listed");
    bobTab.socket.close();
    await until(async () => (await count()) === 1, "only alice is listed");
    // Another project sees none of it.
    expect((await listRooms(await createProject())).items).toEqual([]);
    leaveAll(alice, hidden);
  });

  it("pages newest first with a keyset cursor; validates limit and cursor; needs a credential", async () => {
    const project = await createProject();
    const members = [];
    for (const id of ["a", "b", "c", "d", "e"]) members.push(await create(project, id, "owner"));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listRooms(project, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((room) => room.id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(["e", "d", "c", "b", "a"]);

    const bad = async (query: string, status: number, code: string) => {
      const response = await api(`/v1/rooms${query}`, { headers: { "X-API-Key": project.keys.public } });
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    };
    await bad("?limit=0", 400, "invalid_request");
    await bad("?limit=101", 400, "invalid_request");
    await bad("?cursor=not-a-cursor", 400, "invalid_request");
    const response = await api("/v1/rooms");
    expect(response.status).toBe(401);
    leaveAll(...members);
  });

  it("activity reaches last_activity_at at most once per interval, without a write per message", async () => {
    const project = await createProject();
    await roomStub(env, project.id, "busy").configureRoom({ activity_interval_ms: 300 });
    const alice = await create(project, "busy", "alice");
    const listed = async () => (await listRooms(project)).items[0]?.last_activity_at ?? "";
    await until(async () => (await listed()) !== "", "the room is listed");
    const before = await listed();
    await scheduler.wait(5);
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await say(alice.socket, `m${i}`));
    // Put off: the write happens later, by alarm, with the latest activity.
    expect((await inspect(env, project.id, "busy")).lifecycle.flush_at).not.toBeNull();
    expect(await listed()).toBe(before);
    await until(async () => (await listed()) > before, "the put-off write lands", 3000);
    expect(Date.parse(await listed())).toBeGreaterThanOrEqual(acks[0]?.timestamp as number);
    leaveAll(alice);
  });
});

describe("room idle expiry", () => {
  it("an empty room leaves the directory after its idle time and is deleted after its retention, by alarm", async () => {
    const project = await createProject();
    const stub = roomStub(env, project.id, "idle");
    await stub.configureRoom({ directory_idle_ms: 5 * MINUTE, retention_ms: 60 * MINUTE });
    const alice = await create(project, "idle", "alice");
    const epoch = alice.hello.epoch;
    // Occupied, nothing due: no alarm keeps the room awake.
    await stub.directorySettled();
    expect(await alarmOf(project.id, "idle")).toBeNull();
    // Activity right after a directory write puts the next write off (one alarm, at the interval).
    const said = await say(alice.socket, "hello");
    const flushAt = (await inspect(env, project.id, "idle")).lifecycle.flush_at as number;
    expect(flushAt).toBeGreaterThan(said.timestamp as number);
    expect(flushAt).toBeLessThanOrEqual((said.timestamp as number) + MINUTE);
    expect(await alarmOf(project.id, "idle")).toBe(flushAt);
    alice.socket.close();
    await until(async () => (await inspect(env, project.id, "idle")).participants.length === 0, "alice left");
    const emptySince = (await inspect(env, project.id, "idle")).lifecycle.empty_since as number;
    expect(await alarmOf(project.id, "idle")).toBe(emptySince + 5 * MINUTE);
    expect((await listRooms(project)).items.map((room) => room.id)).toEqual(["idle"]);

    // An alarm before its time changes nothing.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await inspect(env, project.id, "idle")).listed).toBe(true);

    // Idle time over: out of the directory, still there to be joined, deletion due after retention.
    await backdate(project.id, "idle", 5 * MINUTE);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await stub.directorySettled();
    expect((await listRooms(project)).items).toEqual([]);
    const unlisted = await inspect(env, project.id, "idle");
    expect(unlisted).toMatchObject({ listed: false, seq: 1, room: { id: "idle" } });
    expect(await alarmOf(project.id, "idle")).toBe((unlisted.lifecycle.empty_since as number) + 60 * MINUTE);

    // Retention over: everything is deleted, no alarm is left, and the id is free again.
    await backdate(project.id, "idle", 60 * MINUTE);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const purged = await inspect(env, project.id, "idle");
    expect(purged).toMatchObject({ room: null, seq: 0, version: 0, state: "{}" });
    expect(await alarmOf(project.id, "idle")).toBeNull();
    const rows = await runInDurableObject(stub, (_room: RoomObject, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM hub_meta").one(),
    );
    expect(rows.n).toBe(0);
    await expectRefused(connectRoom("idle", project.keys.public, { client_id: "bob" }), "room_not_found", 4012);
    const again = await create(project, "idle", "bob");
    expect(again.hello).toMatchObject({ created: true, seq: 0, history: [], room: { owner_id: "bob" } });
    expect(again.hello.epoch).not.toBe(epoch);
    leaveAll(again);
  });

  it("a join during the idle time keeps the room listed and cancels its expiry", async () => {
    const project = await createProject();
    const stub = roomStub(env, project.id, "back");
    const alice = await create(project, "back", "alice");
    alice.socket.close();
    await until(async () => (await alarmOf(project.id, "back")) !== null, "the idle alarm is set");
    const bob = await enter(project, "back", "bob");
    expect(bob.hello.created).toBe(false);
    expect(await alarmOf(project.id, "back")).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    await until(async () => (await listRooms(project)).items[0]?.participant_count === 1, "bob is counted");
    leaveAll(bob);
  });
  it("a room whose participants vanished without close events (a restart) still becomes idle on its next wake-up", async () => {
    const project = await createProject();
    const stub = roomStub(env, project.id, "lost");
    const alice = await create(project, "lost", "alice");
    await stub.directorySettled();
    expect(await alarmOf(project.id, "lost")).toBeNull();
    // What a restart leaves behind: no participant on any connection, and no close event seen.
    await runInDurableObject(stub, (_room: RoomObject, state) => {
      for (const ws of state.getWebSockets()) ws.serializeAttachment({ ...ws.deserializeAttachment(), pres: null });
    });
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const woken = await inspect(env, project.id, "lost");
    expect(woken.participants).toEqual([]);
    expect(woken.lifecycle.empty_since).not.toBeNull();
    expect(await alarmOf(project.id, "lost")).toBe((woken.lifecycle.empty_since as number) + 5 * MINUTE);
    leaveAll(alice);
  });
});

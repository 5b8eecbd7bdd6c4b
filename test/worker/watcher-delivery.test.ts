import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pruneChanges } from "../../data/documents/outbox";
import type { CollectionWatcherObject } from "../../durable-objects/watcher/collection-watcher";
import { as, expectStatus, seed, setRules } from "./documents-helpers";
import { createProject, mintToken, type TestProject } from "./helpers";
import {
  connectWatcher,
  events,
  readSnapshot,
  syncEvents,
  uniqueCollection,
  watch,
  watcherStub,
  writer,
} from "./watcher-helpers";

/**
 * Writes documents straight into D1, as a write whose notification was lost: the change lands in
 * the feed (the outbox triggers run), but nobody tells the watcher.
 */
async function silentCreates(project: TestProject, collection: string, docs: { id: string; data: unknown }[]) {
  const now = new Date().toISOString();
  const insert = env.DB.prepare(
    "INSERT INTO documents (project_id, collection, id, data, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
  );
  await env.DB.batch(
    docs.map((doc) => insert.bind(project.id, collection, doc.id, JSON.stringify(doc.data), now, now)),
  );
}

describe("collection watcher delivery", () => {
  it("recovers a lost notification with the next one", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const { socket } = await watch(collection, project.keys.secret);
    const docs = writer(project, collection);
    await docs.create("a", {});
    expect((await events(socket, 1)).map((e) => e.seq)).toEqual([1]);
    await silentCreates(project, collection, [{ id: "b", data: {} }]);
    expect(await watcherStub(env, project.id, collection).state()).toMatchObject({ delivered: 1, live: 1 });
    await docs.create("c", {});
    expect((await events(socket, 2)).map((e) => [e.seq, e.id])).toEqual([
      [2, "b"],
      [3, "c"],
    ]);
    socket.close();
  });

  it("recovers a lost notification by the catch-up alarm, which runs only while someone is subscribed", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const stub = watcherStub(env, project.id, collection);
    const { socket } = await watch(collection, project.keys.secret);
    await silentCreates(project, collection, [{ id: "lost", data: { n: 1 } }]);
    const alarm = await runInDurableObject(stub, (_: CollectionWatcherObject, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await events(socket, 1)).toMatchObject([{ seq: 1, event: "create", id: "lost" }]);

    socket.close();
    await socket.closed();
    for (let i = 0; (await stub.state()).subscribers > 0; i++) {
      if (i > 200) throw new Error("the watcher never saw the close");
      await scheduler.wait(5);
    }
    // One more run finds nobody subscribed and does not come back.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_: CollectionWatcherObject, state) => state.storage.getAlarm())).toBeNull();
  });

  it("loses nothing and sends nothing twice when evicted mid-stream", { timeout: 20_000 }, async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const stub = watcherStub(env, project.id, collection);
    await setRules(as(project.keys.secret), collection, { read: "true" });
    const all = await watch(collection, project.keys.secret);
    const evens = await watch(collection, project.keys.public, { parity: "even" });
    const docs = writer(project, collection);
    const create = (n: number) => docs.create(`d${n}`, { n, parity: n % 2 === 0 ? "even" : "odd" });
    const first = Array.from({ length: 15 }, (_, i) => create(i + 1));
    await evictDurableObject(stub, { webSockets: "hibernate" });
    const second = Array.from({ length: 15 }, (_, i) => create(i + 16));
    await Promise.all([...first, ...second]);

    const seen = await syncEvents(all.socket, 1);
    expect(seen.seq).toBe(30);
    expect(seen.items.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const seenEven = await syncEvents(evens.socket, 1);
    const evenSeqs = seenEven.items.map((e) => e.seq);
    expect(new Set(evenSeqs).size).toBe(15);
    expect(evenSeqs).toEqual([...evenSeqs].sort((a, b) => a - b));
    expect(seenEven.items.every((e) => (e.data as { parity: string }).parity === "even")).toBe(true);
    all.socket.close();
    evens.socket.close();
  });

  it("restores its subscriptions after hibernating, whichever event wakes it first", { timeout: 20_000 }, async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const stub = watcherStub(env, project.id, collection);
    const a = await watch(collection, project.keys.secret);
    const b = await watch(collection, project.keys.secret, { kind: "x" });
    const c = await watch(collection, project.keys.secret);

    // A client frame first: its connection's subscription is back, live.
    await evictDurableObject(stub, { webSockets: "hibernate" });
    expect(await syncEvents(a.socket, 1)).toEqual({ items: [], seq: 0 });

    // A close first: that subscription is gone, the others stay.
    await evictDurableObject(stub, { webSockets: "hibernate" });
    c.socket.close();
    await c.socket.closed();
    for (let i = 0; (await stub.state()).subscribers > 2; i++) {
      if (i > 200) throw new Error("the watcher never saw the close");
      await scheduler.wait(5);
    }

    // The catch-up alarm first: it delivers a change whose notification was lost.
    await evictDurableObject(stub, { webSockets: "hibernate" });
    await silentCreates(project, collection, [{ id: "lost", data: { kind: "x" } }]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await events(a.socket, 1)).toMatchObject([{ seq: 1, event: "create", id: "lost" }]);
    expect(await events(b.socket, 1)).toMatchObject([{ seq: 1, event: "create", id: "lost" }]);
    expect(await stub.state()).toMatchObject({ delivered: 1, subscribers: 2, live: 2, filter_groups: 2 });
    a.socket.close();
    b.socket.close();
  });

  it("after hibernating while idle, a write reaches every subscriber", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const stub = watcherStub(env, project.id, collection);
    await setRules(as(project.keys.secret), collection, { read: "doc.owner == auth.id || doc.owner == null" });
    const subscribers = [
      await watch(collection, project.keys.secret),
      await watch(collection, project.keys.secret, { kind: "note" }),
      await watch(collection, project.keys.public),
      await watch(collection, (await mintToken(project, { user_id: "ann" })).token),
      await watch(collection, (await mintToken(project, { user_id: "bob" })).token, { filter: 'kind == "note"' }),
    ];
    const docs = writer(project, collection);
    for (let round = 1; round <= 2; round++) {
      await evictDurableObject(stub, { webSockets: "hibernate" });
      await docs.create(`n${round}`, { kind: "note", round });
      for (const { socket } of subscribers) {
        expect(await events(socket, 1)).toMatchObject([{ seq: round, event: "create", id: `n${round}` }]);
      }
    }
    expect(await stub.state()).toMatchObject({ live: 5, filter_groups: 2 });
    for (const { socket } of subscribers) socket.close();
  });

  it("resumes from a sequence with exactly what was missed", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const first = await watch(collection, project.keys.secret, { kind: "x" });
    const docs = writer(project, collection);
    await docs.create("x1", { kind: "x" }); // 1
    const [last] = await events(first.socket, 1);
    first.socket.close();
    await docs.create("y1", { kind: "y" }); // 2: outside
    await docs.create("x2", { kind: "x" }); // 3
    await docs.update("x1", { kind: "y" }); // 4: leaves
    await docs.delete("x2"); // 5

    const socket = await connectWatcher(collection, project.keys.secret, { kind: "x", since_seq: last?.seq ?? 0 });
    await socket.next("hello");
    expect((await events(socket, 3)).map((e) => [e.seq, e.event, e.id])).toEqual([
      [3, "create", "x2"],
      [4, "leave", "x1"],
      [5, "delete", "x2"],
    ]);
    expect((await syncEvents(socket, 1)).seq).toBe(5);
    expect(socket.queued.filter((f) => f.type === "resync_required")).toEqual([]);
    socket.close();
  });

  it("tells a resume older than the retention, or ahead of the collection, to resync", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const secret = as(project.keys.secret);
    await expectStatus(secret.put(`/v1/collections/${collection}/retention`, { max_changes: 100 }), 200);
    await seed(
      secret,
      collection,
      Array.from({ length: 250 }, (_, i) => ({ id: `d${i}`, data: { i } })),
    );
    await pruneChanges(env.DB, project.id, collection);

    const old = await connectWatcher(collection, project.keys.secret, { since_seq: 5 });
    await old.next("hello");
    expect(await old.next()).toEqual({
      v: 1,
      type: "resync_required",
      reason: "too_old",
      since_seq: 5,
      missed_from: 6,
      missed_to: 150,
      seq: 250,
    });
    expect(await old.next()).toMatchObject({ type: "synced", seq: 250 });
    old.send({ v: 1, type: "snapshot", ref: 1 });
    expect((await readSnapshot(old)).end).toMatchObject({ ref: 1, seq: 250, count: 250 });
    old.close();

    const ahead = await connectWatcher(collection, project.keys.secret, { since_seq: 400 });
    await ahead.next("hello");
    expect(await ahead.next()).toMatchObject({ type: "resync_required", reason: "reset", since_seq: 400, seq: 250 });
    ahead.close();
  });

  it("tells live subscribers to resync when it fell behind the retention", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    await expectStatus(
      as(project.keys.secret).put(`/v1/collections/${collection}/retention`, { max_changes: 100 }),
      200,
    );
    const { socket } = await watch(collection, project.keys.secret);
    await silentCreates(
      project,
      collection,
      Array.from({ length: 150 }, (_, i) => ({ id: `s${i}`, data: {} })),
    );
    await pruneChanges(env.DB, project.id, collection);
    await writer(project, collection).create("loud", {});
    expect(await socket.next()).toMatchObject({
      type: "resync_required",
      reason: "too_old",
      since_seq: 0,
      missed_from: 1,
      missed_to: 50,
      seq: 50,
    });
    const items = await events(socket, 101);
    expect(items.map((e) => e.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 51));
    socket.close();
  });
});

import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CollectionWatcherObject } from "../../durable-objects/watcher/collection-watcher";
import { as, seed, setRules } from "./documents-helpers";
import { createProject, mintToken } from "./helpers";
import {
  connectWatcher,
  events,
  queuedEvents,
  syncEvents,
  uniqueCollection,
  watch,
  watcherStub,
  writer,
} from "./watcher-helpers";

describe("collection watcher resilience", () => {
  it("answers a write without waiting for the watcher; the event follows once the watcher can run", {
    timeout: 15_000,
  }, async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const stub = watcherStub(env, project.id, collection);
    const { socket } = await watch(collection, project.keys.secret);
    // Hold the watcher's input gate shut: no notification reaches it until `release()`. A write
    // that awaited fan-out would hang here.
    const { promise: held, resolve: release } = Promise.withResolvers<void>();
    const { promise: shut, resolve: markShut } = Promise.withResolvers<void>();
    const holding = runInDurableObject(stub, (_: CollectionWatcherObject, state) =>
      state.blockConcurrencyWhile(async () => {
        markShut();
        await held;
      }),
    );
    await shut;
    const write = writer(project, collection).create("a", { n: 1 });
    const waited = scheduler.wait(3_000).then(() => "the write waited for the watcher");
    try {
      expect(await Promise.race([write.then(() => "answered"), waited])).toBe("answered");
      expect(queuedEvents(socket)).toEqual([]);
    } finally {
      release();
      await holding;
    }
    expect(await events(socket, 1)).toMatchObject([{ seq: 1, event: "create", id: "a" }]);
    socket.close();
  });

  it("catches a resuming subscriber up from the feed, across pages, while others keep the watcher live", {
    timeout: 20_000,
  }, async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const secret = as(project.keys.secret);
    const docs = writer(project, collection);
    const everything = await watch(collection, project.keys.secret);
    const first = await watch(collection, project.keys.secret, { kind: "x" });
    await docs.create("x0", { kind: "x" }); // 1
    const [held] = await events(first.socket, 1);
    first.socket.close();

    // 240 changes while it is away (more than one page of the feed), delivered to the live one.
    await seed(
      secret,
      collection,
      Array.from({ length: 240 }, (_, i) => ({ id: `d${i}`, data: { kind: i % 3 === 0 ? "x" : "y", i } })),
    );
    await docs.update("x0", { kind: "y" }); // 242: leaves
    expect((await syncEvents(everything.socket, 1)).items.map((e) => e.seq)).toEqual(
      Array.from({ length: 242 }, (_, i) => i + 1),
    );
    expect(await watcherStub(env, project.id, collection).state()).toMatchObject({ delivered: 242 });

    // Resume behind the watcher's position, with writes landing while it catches up.
    const resumed = await connectWatcher(collection, project.keys.secret, { kind: "x", since_seq: held?.seq ?? 0 });
    await resumed.next("hello");
    await docs.create("x1", { kind: "x" }); // 243
    await docs.delete("d0"); // 244
    const { items } = await syncEvents(resumed, 1);

    const expected = [
      ...Array.from({ length: 80 }, (_, k) => [k * 3 + 2, "create", `d${k * 3}`]),
      [242, "leave", "x0"],
      [243, "create", "x1"],
      [244, "delete", "d0"],
    ];
    expect(items.map((e) => [e.seq, e.event, e.id])).toEqual(expected);
    everything.socket.close();
    resumed.close();
  });

  it("closes subscribers that may no longer read when the read rule is removed; secret keys go on", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const secret = as(project.keys.secret);
    await setRules(secret, collection, { read: "true" });
    const reader = await watch(collection, project.keys.public);
    const server = await watch(collection, project.keys.secret);
    const docs = writer(project, collection);
    await docs.create("a", {});
    expect(await events(reader.socket, 1)).toMatchObject([{ seq: 1, id: "a" }]);

    await setRules(secret, collection, { read: null });
    await docs.create("b", { secret: true });
    expect(await reader.socket.next()).toMatchObject({ type: "error", code: "forbidden", ref: null });
    expect((await reader.socket.closed()).code).toBe(4003);
    expect(queuedEvents(reader.socket)).toEqual([]);
    expect((await events(server.socket, 2)).map((e) => e.id)).toEqual(["a", "b"]);
    server.socket.close();
  });

  it("sends nothing more to a subscriber whose token expired, and closes it with token_expired", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    await setRules(as(project.keys.secret), collection, { read: "true" });
    const stub = watcherStub(env, project.id, collection);
    const expiring = await watch(collection, (await mintToken(project, { user_id: "u1" })).token);
    const other = await watch(collection, (await mintToken(project, { user_id: "u2" })).token);
    // Make u1's token expired, as if its time had passed while the watcher slept.
    await runInDurableObject(stub, (_: CollectionWatcherObject, state) => {
      for (const ws of state.getWebSockets()) {
        const attachment = ws.deserializeAttachment() as { user: string | null };
        if (attachment.user === "u1") ws.serializeAttachment({ ...attachment, exp: 1 });
      }
    });
    await evictDurableObject(stub, { webSockets: "hibernate" });

    await writer(project, collection).create("after-expiry", {});
    expect(await events(other.socket, 1)).toMatchObject([{ seq: 1, id: "after-expiry" }]);
    expect(await expiring.socket.next()).toMatchObject({ type: "error", code: "token_expired", ref: null });
    expect((await expiring.socket.closed()).code).toBe(4002);
    expect(queuedEvents(expiring.socket)).toEqual([]);
    other.socket.close();
  });
});

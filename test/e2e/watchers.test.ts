// Collection watchers through the SDK against the real worker (wrangler dev, see global-setup.ts):
// live queries under random writes and cut connections, subscribe with snapshots, the Cocobase
// SDK's CollectionWatcher, automatic resync, and delivery after the watcher object went idle.
import { afterEach, describe, expect, it } from "vitest";
import {
  type CollectionEvent,
  type FlarebaseClient,
  FlarebaseError,
  type LiveQuery,
  type WatcherChange,
} from "../../sdk/index";
import { cuttableWebSocket, Recorder } from "./channels-helpers";
import { clientFor, createTestProject, rejection } from "./helpers";

type Item = { color: string; size: number; tag: string; hidden?: boolean; n?: number };

/** Things a test opened, closed after it whatever happened. */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const uniqueCollection = () => `e${crypto.randomUUID().slice(0, 8)}`;

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed from its seed. */
function seeded(seed: number): () => number {
  let t = seed;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function randomItem(random: () => number, n: number): Item {
  const item: Item = {
    color: ["red", "green", "blue"][Math.floor(random() * 3)] as string,
    size: 1 + Math.floor(random() * 10),
    tag: ["a", "b", "c"][Math.floor(random() * 3)] as string,
    n,
  };
  if (random() < 0.15) item.hidden = true;
  return item;
}

/** A random filter in one of the two syntaxes of `list`. */
function randomFilter(random: () => number): string | Record<string, string | number | string[]> | undefined {
  const color = ["red", "green", "blue"][Math.floor(random() * 3)] as string;
  const size = 1 + Math.floor(random() * 10);
  const choices = [
    () => undefined,
    () => ({ color }),
    () => ({ color, size_gte: size }),
    () => `size < ${size} || tag == "b"`,
    () => ({ tag_in: ["a", "c"] }),
    () => ({ "[or]color": color, "[or]tag": "a" }),
    () => `color != "${color}" && size >= ${size}`,
    () => `tag == "c"`,
  ];
  return (choices[Math.floor(random() * choices.length)] as () => ReturnType<typeof randomFilter>)();
}

/** Every document `client` lists with `filter`, by id (the REST side of the comparison). */
async function restQuery(client: FlarebaseClient, collection: string, filter: ReturnType<typeof randomFilter>) {
  const items: { id: string; data: unknown }[] = [];
  for await (const doc of client.collection(collection).iterate({ filter, limit: 200 })) {
    items.push({ id: doc.id, data: doc.data });
  }
  return items;
}

describe("collection watchers through the SDK", () => {
  it("keeps many live queries with random filters equal to the REST query while random writes run", {
    timeout: 60_000,
  }, async () => {
    const random = seeded(20_261_122);
    const { project, secretClient } = await createTestProject();
    const collection = uniqueCollection();
    await secretClient.request("PUT", `/v1/collections/${collection}/rules`, {
      body: { read: "doc.hidden != true" },
    });
    const docs = secretClient.collection<Item>(collection);
    await docs.batch(
      Array.from({ length: 60 }, (_, i) => ({ op: "create", id: `d${i}`, data: randomItem(random, i) })),
    );

    // Subscribers on public and secret keys, on sockets the test can cut.
    const sockets = cuttableWebSocket();
    const publicClient = clientFor({ key: project.keys.public, WebSocket: sockets.WebSocket });
    const secretWatcher = clientFor({ key: project.keys.secret, WebSocket: sockets.WebSocket });
    cleanups.push(() => {
      publicClient.realtime.close();
      secretWatcher.realtime.close();
    });
    const queries: { live: LiveQuery<Item>; client: FlarebaseClient; filter: ReturnType<typeof randomFilter> }[] = [];
    const subscribe = () => {
      const filter = randomFilter(random);
      const client = random() < 0.5 ? publicClient : secretWatcher;
      const live = client.collection<Item>(collection).live(filter);
      cleanups.push(() => live.close());
      queries.push({ live, client, filter });
    };
    for (let i = 0; i < 16; i++) subscribe();

    // Random creates, updates and deletes from 4 writers; more subscribers join, sockets get cut.
    let next = 60;
    const write = async () => {
      const r = random();
      const id = `d${Math.floor(random() * next)}`;
      if (r < 0.3) await docs.create(randomItem(random, next), { id: `d${next++}` });
      else if (r < 0.85) await docs.update(id, randomItem(random, next)).catch(ignoreNotFound);
      else await docs.delete(id).catch(ignoreNotFound);
    };
    const writers = [0, 1, 2, 3].map(async (w) => {
      for (let i = 0; i < 40; i++) {
        await write();
        if (w === 0 && i % 10 === 5) subscribe();
        if (w === 1 && i === 20) sockets.cutAll();
      }
    });
    await Promise.all(writers);

    for (const { live, client, filter } of queries) {
      await live.sync();
      const expected = await restQuery(client, collection, filter);
      expect(live.items, `filter ${JSON.stringify(filter)}`).toEqual(expected);
    }
    expect(queries.length).toBe(20);
  });

  it("subscribe delivers a snapshot, then every change in order, until unsubscribed", async () => {
    const { secretClient } = await createTestProject();
    const collection = uniqueCollection();
    const posts = secretClient.collection<{ title: string; published: boolean }>(collection);
    await posts.create({ title: "draft", published: false }, { id: "p1" });
    await posts.create({ title: "live", published: true }, { id: "p2" });
    const seen = new Recorder<CollectionEvent<{ title: string; published: boolean }>>();
    const unsubscribe = posts.subscribe("published == true", seen.push, { snapshot: true });
    cleanups.push(unsubscribe);
    await seen.count(1);
    expect(seen.items[0]).toEqual({
      type: "snapshot",
      seq: 2,
      documents: [{ id: "p2", data: { title: "live", published: true } }],
      truncated: false,
      resync: false,
    });
    await posts.update("p1", { published: true }); // 3: enters
    await posts.update("p2", { title: "edited" }); // 4
    await posts.update("p2", { published: false }); // 5: leaves
    await posts.delete("p1"); // 6
    await seen.count(5);
    expect(seen.items.slice(1).map((e) => (e.type === "snapshot" ? e.type : [e.seq, e.type, e.id]))).toEqual([
      [3, "enter", "p1"],
      [4, "update", "p2"],
      [5, "leave", "p2"],
      [6, "delete", "p1"],
    ]);
    unsubscribe();
    await posts.create({ title: "after", published: true });
    const live = posts.live("published == true");
    cleanups.push(() => live.close());
    await live.ready;
    expect(live.items.map((doc) => doc.data.title)).toEqual(["after"]);
    expect(seen.items).toHaveLength(5);
  });

  it("keeps a live query sorted like list", async () => {
    const { secretClient } = await createTestProject();
    const collection = uniqueCollection();
    const scores = secretClient.collection<{ score: number | null; name: string }>(collection);
    const live = scores.live(undefined, { sort: "-score,name" });
    cleanups.push(() => live.close());
    await live.ready;
    const changed = new Recorder<unknown>();
    live.onChange(changed.push);
    await scores.create({ score: 3, name: "c" });
    await scores.create({ score: 10, name: "a" });
    await scores.create({ score: null, name: "z" });
    await scores.create({ score: 3, name: "b" });
    await live.sync();
    const page = await scores.list({ sort: "-score,name" });
    expect(live.items.map((doc) => doc.data.name)).toEqual(page.items.map((doc) => doc.data.name));
    expect(live.items.map((doc) => doc.data.name)).toEqual(["a", "b", "c", "z"]);
    expect(changed.items.length).toBeGreaterThan(0);
  });

  it("offers Cocobase's CollectionWatcher: onConnected, onCreate, onUpdate with old_data, onDelete, onError", async () => {
    const { project, secretClient } = await createTestProject();
    const collection = uniqueCollection();
    const connected = new Recorder<unknown>();
    const changes = new Recorder<WatcherChange<{ status: string; name?: string }>>();
    const watcher = secretClient.realtime.collection<{ status: string; name?: string }>(collection, {
      status: "active",
    });
    cleanups.push(() => watcher.disconnect());
    watcher.onConnected(connected.push);
    watcher.onCreate(changes.push);
    watcher.onUpdate(changes.push);
    watcher.onDelete(changes.push);
    watcher.connect();
    await connected.count(1);
    expect(connected.items[0]).toMatchObject({ collection, seq: 0 });

    const users = secretClient.collection<{ status: string; name?: string }>(collection);
    await users.create({ status: "active", name: "ann" }, { id: "u1" });
    await users.update("u1", { name: "Ann" });
    await users.delete("u1");
    await changes.count(3);
    expect(changes.items.map(({ timestamp, ...rest }) => rest)).toEqual([
      { type: "create", seq: 1, id: "u1", data: { status: "active", name: "ann" }, old_data: null },
      {
        type: "update",
        seq: 2,
        id: "u1",
        data: { status: "active", name: "Ann" },
        old_data: { status: "active", name: "ann" },
      },
      { type: "delete", seq: 3, id: "u1", data: { id: "u1" }, old_data: { status: "active", name: "Ann" } },
    ]);

    // A public key on a collection without a read rule: refused, reported through onError.
    const publicClient = clientFor({ key: project.keys.public });
    const refused = publicClient.realtime.collection(collection);
    cleanups.push(() => refused.disconnect());
    const errors = new Recorder<FlarebaseError>();
    refused.onError(errors.push);
    refused.connect();
    await errors.count(1);
    expect(errors.items[0]).toBeInstanceOf(FlarebaseError);
    expect(errors.items[0]?.code).toBe("forbidden");
  });

  it("resyncs by itself with a fresh snapshot when a resume is older than the change feed keeps", async () => {
    const { secretClient } = await createTestProject();
    const collection = uniqueCollection();
    await secretClient.request("PUT", `/v1/collections/${collection}/retention`, { body: { max_changes: 100 } });
    const docs = secretClient.collection(collection);
    for (let b = 0; b < 3; b++) {
      await docs.batch(Array.from({ length: b < 2 ? 100 : 50 }, (_, i) => ({ op: "create", data: { b, i } })));
    }
    // Pruning follows the commit that crosses a multiple of 100, in the background: wait for it.
    for (let i = 0; ; i++) {
      const error = await rejection(() => docs.changes({ since: 5 })).catch(() => null);
      if (error instanceof FlarebaseError && error.code === "changes_pruned") break;
      if (i > 100) throw new Error("the change feed was never pruned");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seen = new Recorder<CollectionEvent>();
    const unsubscribe = docs.subscribe(undefined, seen.push, { sinceSeq: 5 });
    cleanups.push(unsubscribe);
    await seen.count(1);
    expect(seen.items[0]).toMatchObject({ type: "snapshot", seq: 250, resync: true, truncated: false });
    expect(seen.items[0]?.type === "snapshot" && seen.items[0].documents.length).toBe(250);
  });

  it("reports a subscription the read rule refuses to subscribe's onError, as forbidden", async () => {
    const { project } = await createTestProject();
    const publicClient = clientFor({ key: project.keys.public });
    cleanups.push(() => publicClient.realtime.close());
    const errors = new Recorder<FlarebaseError>();
    const events = new Recorder<CollectionEvent>();
    cleanups.push(
      publicClient.collection(uniqueCollection()).subscribe(undefined, events.push, { onError: errors.push }),
    );
    await errors.count(1);
    expect(errors.items[0]).toBeInstanceOf(FlarebaseError);
    expect(errors.items[0]?.code).toBe("forbidden");
    expect(events.items).toEqual([]);
  });

  it("delivers a write to every subscriber after the watcher sat idle long enough to hibernate", {
    timeout: 40_000,
  }, async () => {
    const { project, secretClient } = await createTestProject();
    const collection = uniqueCollection();
    await secretClient.request("PUT", `/v1/collections/${collection}/rules`, { body: { read: "true" } });
    const publicClient = clientFor({ key: project.keys.public });
    cleanups.push(() => publicClient.realtime.close());
    const recorders = [undefined, { kind: "note" }, 'kind == "note"', undefined, { kind_in: ["note", "x"] }].map(
      (filter, i) => {
        const recorder = new Recorder<CollectionEvent>();
        const client = i % 2 === 0 ? secretClient : publicClient;
        cleanups.push(client.collection(collection).subscribe(filter, recorder.push, { snapshot: true }));
        return recorder;
      },
    );
    for (const recorder of recorders) await recorder.count(1);
    // Idle: no frame, no write (heartbeats are answered by the runtime without waking the object).
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    await secretClient.collection(collection).create({ kind: "note" }, { id: "after-idle" });
    for (const recorder of recorders) {
      await recorder.count(2);
      expect(recorder.items[1]).toMatchObject({ type: "create", seq: 1, id: "after-idle" });
    }
  });
});

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof FlarebaseError && error.code === "not_found")) throw error;
}

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseExpression } from "../../core/query";
import { commitWrites } from "../../data/documents/writes";
import { watchRules } from "../../durable-objects/watcher/watcher-events";
import { readHead } from "../../durable-objects/watcher/watcher-feed";
import { takeSnapshot } from "../../durable-objects/watcher/watcher-snapshot";
import { as, type Doc, expectStatus, type Page, seed } from "./documents-helpers";
import { createProject, type TestProject } from "./helpers";
import {
  applyEvents,
  connectWatcher,
  events,
  readSnapshot,
  uniqueCollection,
  type WatcherSocket,
  watch,
  writer,
} from "./watcher-helpers";

/** Every document the REST list returns for `filter`, as id → data. */
async function listAll(project: TestProject, collection: string, filter: string, key = project.keys.secret) {
  const client = as(key);
  const all = new Map<string, Record<string, unknown>>();
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ filter, limit: "1000" });
    if (cursor) query.set("cursor", cursor);
    const page: Page = await expectStatus<Page>(client.get(`/v1/collections/${collection}/documents?${query}`), 200);
    for (const doc of page.items) all.set(doc.id, doc.data);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

/** Sends `sync` and applies every event that arrives before its reply. */
async function syncInto(socket: WatcherSocket, set: Map<string, Record<string, unknown>>, after: number) {
  const ref = 900 + Math.floor(Math.random() * 1000);
  socket.send({ v: 1, type: "sync", ref });
  const items = [];
  for (;;) {
    const frame = await socket.next();
    if (frame.type === "changes") items.push(...frame.items);
    else if (frame.type === "synced" && frame.ref === ref) break;
    else if (frame.type !== "synced") throw new Error(`unexpected ${JSON.stringify(frame)}`);
  }
  // Nothing at or before the snapshot's sequence, nothing twice, in order.
  const seqs = items.map((item) => item.seq);
  expect(seqs.every((seq, i) => seq > after && (i === 0 || seq > (seqs[i - 1] as number)))).toBe(true);
  applyEvents(set, items);
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(3, "0")}`);

describe("collection watcher snapshots", () => {
  it("pages a snapshot at one sequence, then streams only what follows it", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    await seed(
      as(project.keys.secret),
      collection,
      ids(230).map((id, i) => ({ id, data: { group: i % 10 === 0 ? "b" : "a", i } })),
    );
    const socket = await connectWatcher(collection, project.keys.secret, { group: "a", snapshot: "true" });
    const { documents, end } = await readSnapshot(socket);
    expect(end).toMatchObject({ ref: null, seq: 230, count: 207, truncated: false });
    expect(documents).toEqual(await listAll(project, collection, 'group == "a"'));
    expect(await socket.next("synced")).toMatchObject({ seq: 230 });

    await writer(project, collection).update("d001", { group: "b" });
    expect(await events(socket, 1)).toMatchObject([{ seq: 231, event: "leave", id: "d001" }]);
    socket.close();
  });

  it("cuts a snapshot at its limit and says so", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    await seed(
      as(project.keys.secret),
      collection,
      ids(12).map((id) => ({ id, data: {} })),
    );
    const socket = await connectWatcher(collection, project.keys.secret, { snapshot: "1", limit: 5 });
    const { documents, end } = await readSnapshot(socket);
    expect(end).toMatchObject({ count: 5, truncated: true, seq: 12 });
    expect([...documents.keys()]).toEqual(ids(5));
    socket.close();
  });

  it("answers a snapshot request mid-stream; later changes come after its sequence", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const { socket } = await watch(collection, project.keys.secret, { filter: "n >= 2" });
    const docs = writer(project, collection);
    await docs.create("a", { n: 1 });
    await docs.create("b", { n: 2 });
    await events(socket, 1);
    socket.send({ v: 1, type: "snapshot", ref: 7 });
    const { documents, end } = await readSnapshot(socket);
    expect(end).toEqual({ v: 1, type: "snapshot_end", ref: 7, seq: 2, count: 1, truncated: false });
    expect(documents).toEqual(new Map([["b", { n: 2 }]]));
    await docs.update("a", { n: 5 });
    expect(await events(socket, 1)).toMatchObject([{ seq: 3, event: "enter", id: "a" }]);
    socket.close();
  });

  it("applies the subscriber's rules to the snapshot", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const secret = as(project.keys.secret);
    await expectStatus(secret.put(`/v1/collections/${collection}/rules`, { read: "doc.public == true" }), 200);
    await seed(secret, collection, [
      { id: "p", data: { public: true } },
      { id: "q", data: { public: false } },
    ]);
    const socket = await connectWatcher(collection, project.keys.public, { snapshot: "true" });
    const { documents } = await readSnapshot(socket);
    expect([...documents.keys()]).toEqual(["p"]);
    socket.close();
  });

  it("brings pages read at different sequences to one (writes between the page reads)", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    await seed(
      as(project.keys.secret),
      collection,
      ids(250).map((id, i) => ({ id, data: { keep: true, i } })),
    );
    const docs = writer(project, collection);
    // The real D1, with writes made between the first and the second page read.
    let reads = 0;
    const db = new Proxy(env.DB, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (name !== "batch") return typeof value === "function" ? value.bind(target) : value;
        return async (statements: D1PreparedStatement[]) => {
          if (reads++ === 1) {
            await docs.update("d005", { keep: false }); // page 1 range: leaves
            await docs.update("d006", { i: -6 }); // page 1 range: changed
            await docs.delete("d007"); // page 1 range: gone
            await docs.create("d0075", { keep: true, i: 7.5 }); // page 1 range: new
            await docs.update("d200", { i: -200 }); // page 3 range: read after the change
            await docs.create("d999", { keep: true }); // past every page: read by the last one
          }
          return target.batch(statements);
        };
      },
    });
    const frames: string[] = [];
    const result = await takeSnapshot({
      db,
      projectId: project.id,
      collection,
      filter: { key: "keep == true", node: parseExpression("keep == true") },
      audience: { key: "*", auth: { id: null, role: null, kind: "secret", claims: {} }, bypass: true },
      rules: watchRules({}),
      limit: 1000,
      frameItems: 256,
      frameBytes: 512 * 1024,
      send: (frame) => frames.push(frame),
      wanted: () => true,
    });
    expect(reads).toBeGreaterThan(3);
    const head = await readHead(env.DB, project.id, collection);
    expect(result).toEqual({ seq: head.seq, count: 250, truncated: false });
    const set = new Map<string, Record<string, unknown>>();
    for (const text of frames) {
      const frame = JSON.parse(text) as { items: Doc[]; removed?: string[] };
      for (const item of frame.items) set.set(item.id, item.data);
      for (const id of frame.removed ?? []) set.delete(id);
    }
    expect(set).toEqual(await listAll(project, collection, "keep == true"));
    expect(set.get("d006")).toEqual({ keep: true, i: -6 });
    expect(set.get("d200")).toEqual({ keep: true, i: -200 });
  });

  it("gives snapshot plus stream equal to the collection at a busy moment", { timeout: 20_000 }, async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    await seed(
      as(project.keys.secret),
      collection,
      ids(1000).map((id, i) => ({ id, data: { color: i % 4 === 0 ? "blue" : "red", i } })),
    );
    const client = as(project.keys.secret);
    const base = `/v1/collections/${collection}/documents`;
    let stop = false;
    // Random updates, creates and deletes (a 404 or 409 from a concurrent writer is fine).
    const writes = async (worker: number) => {
      for (let n = 0; !stop || n < 10; n++) {
        const id = `d${String(Math.floor(Math.random() * 1020)).padStart(3, "0")}`;
        const data = { color: Math.random() < 0.5 ? "red" : "blue", by: worker, n };
        const updated = await client.patch(`${base}/${id}`, { data });
        if (updated.status === 404) await client.post(base, { id, data });
        if (n % 7 === 3) await client.delete(`${base}/${id}`);
      }
    };
    const running = [0, 1, 2, 3].map(writes);
    // Writes straight through the data layer (one write is a couple of D1 queries, like a snapshot
    // page) from the moment the snapshot is under way: those committed at or before the snapshot's
    // sequence landed while it was being taken.
    const caller = { projectId: project.id, kind: "secret", userId: null, role: null, claims: {} } as const;
    const during: number[] = [];
    let snapshotRead = false;
    const query = { color: "red", snapshot: "true", limit: 5000 };
    const socket = await connectWatcher(collection, project.keys.secret, query);
    const writingDuring = (async () => {
      for (let k = 0; !snapshotRead; k++) {
        const op = { op: "update", collection, id: ids(1000)[(k * 37) % 1000] as string, data: { during: k } } as const;
        const committed = await commitWrites(env.DB, caller, [op], []).catch(() => null);
        const seq = committed?.sequences.get(collection);
        if (seq !== undefined) during.push(seq);
      }
    })();
    const { documents, end } = await readSnapshot(socket);
    snapshotRead = true;
    stop = true;
    await Promise.all([...running, writingDuring]);
    expect(during.filter((seq) => seq <= end.seq).length).toBeGreaterThan(0);
    await syncInto(socket, documents, end.seq);
    expect(documents).toEqual(await listAll(project, collection, 'color == "red"'));
    socket.close();
  });

  it("gives each of several snapshots taken during writes, while others are live, the exact set", {
    timeout: 20_000,
  }, async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    await seed(
      as(project.keys.secret),
      collection,
      ids(150).map((id, i) => ({ id, data: { color: i % 2 === 0 ? "red" : "blue", i } })),
    );
    // Live subscribers move the watcher's position while the snapshots are read, so a snapshot's
    // sequence lands behind it (the subscriber catches up alone) or ahead of it (it waits).
    const live = [
      await watch(collection, project.keys.secret),
      await watch(collection, project.keys.secret, { color: "blue" }),
    ];
    const docs = writer(project, collection);
    let stop = false;
    const writes = async (worker: number) => {
      for (let n = 0; !stop; n++) {
        const id = `d${String((worker * 37 + n * 11) % 160).padStart(3, "0")}`;
        const data = { color: n % 3 === 0 ? "blue" : "red", by: worker, n };
        await (n % 9 === 4 ? docs.delete(id) : docs.update(id, data)).catch(() =>
          docs.create(id, data).catch(() => {}),
        );
      }
    };
    const running = [0, 1, 2].map(writes);
    const snapshots = [];
    for (const filter of ['color == "red"', 'color == "blue"', "i >= 0 || n >= 0"]) {
      const socket = await connectWatcher(collection, project.keys.secret, { filter, snapshot: "true" });
      snapshots.push({ filter, socket, ...(await readSnapshot(socket)) });
    }
    stop = true;
    await Promise.all(running);
    // Writes committed between the snapshots (each was taken at a busy moment).
    expect(snapshots[2]?.end.seq).toBeGreaterThan(snapshots[0]?.end.seq ?? Number.POSITIVE_INFINITY);
    for (const { filter, socket, documents, end } of snapshots) {
      await syncInto(socket, documents, end.seq);
      expect(documents, filter).toEqual(await listAll(project, collection, filter));
      socket.close();
    }
    for (const { socket } of live) socket.close();
  });
});

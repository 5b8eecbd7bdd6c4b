import { describe, expect, it } from "vitest";
import { as, setRules } from "./documents-helpers";
import { createProject, mintToken } from "./helpers";
import { connectWatcher, events, uniqueCollection, watch, writer } from "./watcher-helpers";

describe("collection watcher events", () => {
  it("delivers create, update with the old data, and delete, each with its sequence", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const { socket, hello, synced } = await watch(collection, project.keys.secret);
    expect(hello).toMatchObject({ type: "hello", collection, filter: null, client_id: "server" });
    expect(synced).toMatchObject({ type: "synced", ref: null, seq: 0 });

    const docs = writer(project, collection);
    await docs.create("a", { n: 1 });
    await docs.update("a", { n: 2 });
    await docs.delete("a");
    const received = await events(socket, 3);
    expect(received.map(({ timestamp, ...rest }) => rest)).toEqual([
      { seq: 1, event: "create", id: "a", data: { n: 1 }, old_data: null },
      { seq: 2, event: "update", id: "a", data: { n: 2 }, old_data: { n: 1 } },
      { seq: 3, event: "delete", id: "a", data: null, old_data: { n: 2 } },
    ]);
    for (const event of received) expect(Math.abs(event.timestamp - Date.now())).toBeLessThan(60_000);
    socket.close();
  });

  it("sends a filtered subscriber enter and leave, and nothing about documents outside its filter", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    // The same filter in both syntaxes of the documents API.
    const byExpression = await watch(collection, project.keys.secret, { filter: 'status == "open"' });
    const byParams = await watch(collection, project.keys.secret, { status: "open" });
    expect(byExpression.hello.filter).toBe('status == "open"');

    const docs = writer(project, collection);
    await docs.create("x", { status: "closed", n: 1 }); // 1: outside
    await docs.update("x", { status: "open" }); // 2: enter
    await docs.update("x", { n: 2 }); // 3: update
    await docs.update("x", { status: "done" }); // 4: leave
    await docs.update("x", { n: 3 }); // 5: outside
    await docs.create("y", { status: "open" }); // 6: create
    await docs.delete("y"); // 7: delete
    await docs.delete("x"); // 8: outside
    await docs.create("z", { status: "open" }); // 9: create

    for (const { socket } of [byExpression, byParams]) {
      expect((await events(socket, 6)).map((e) => [e.seq, e.event, e.id, e.data, e.old_data])).toEqual([
        [2, "enter", "x", { status: "open", n: 1 }, null],
        [3, "update", "x", { status: "open", n: 2 }, { status: "open", n: 1 }],
        [4, "leave", "x", null, { status: "open", n: 2 }],
        [6, "create", "y", { status: "open" }, null],
        [7, "delete", "y", null, { status: "open" }],
        [9, "create", "z", { status: "open" }, null],
      ]);
      socket.close();
    }
  });

  it("filters with or-groups, in-lists and ranges, like the list endpoint", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const orGroup = await watch(collection, project.keys.secret, { "[or]kind": "a", "[or]n_gte": 10 });
    const inList = await watch(collection, project.keys.secret, { filter: 'kind in ["b", "c"] && n < 5' });
    const docs = writer(project, collection);
    await docs.create("1", { kind: "a", n: 1 }); // or-group
    await docs.create("2", { kind: "b", n: 1 }); // in-list
    await docs.create("3", { kind: "c", n: 20 }); // or-group (n >= 10)
    await docs.create("4", { kind: "d", n: 1 }); // neither
    await docs.create("5", { kind: "c", n: 2 }); // in-list
    expect((await events(orGroup.socket, 2)).map((e) => e.id)).toEqual(["1", "3"]);
    expect((await events(inList.socket, 2)).map((e) => e.id)).toEqual(["2", "5"]);
    orGroup.socket.close();
    inList.socket.close();
  });

  it("evaluates the rules for each subscriber with its own identity", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const secret = as(project.keys.secret);
    await setRules(secret, collection, { read: "doc.owner == auth.id" });
    const alice = await watch(collection, (await mintToken(project, { user_id: "alice" })).token);
    const bob = await watch(collection, (await mintToken(project, { user_id: "bob" })).token);
    const server = await watch(collection, project.keys.secret);

    const docs = writer(project, collection);
    await docs.create("a1", { owner: "alice" }); // 1
    await docs.create("b1", { owner: "bob" }); // 2
    await docs.update("a1", { owner: "bob" }); // 3: leaves alice, enters bob
    await docs.delete("b1"); // 4

    expect((await events(alice.socket, 2)).map((e) => [e.seq, e.event, e.id])).toEqual([
      [1, "create", "a1"],
      [3, "leave", "a1"],
    ]);
    expect((await events(bob.socket, 3)).map((e) => [e.seq, e.event, e.id])).toEqual([
      [2, "create", "b1"],
      [3, "enter", "a1"],
      [4, "delete", "b1"],
    ]);
    expect((await events(server.socket, 4)).map((e) => e.event)).toEqual(["create", "create", "update", "delete"]);
    // A leave never shows a subscriber the data it may no longer read.
    for (const { socket } of [alice, bob, server]) socket.close();
  });

  it("applies the list rule too, and refuses watchers of a collection without a read rule", async () => {
    const project = await createProject();
    const collection = uniqueCollection();
    const refused = await connectWatcher(collection, project.keys.public);
    expect(await refused.next()).toMatchObject({ type: "error", code: "forbidden", ref: null });
    expect(await refused.closed()).toEqual({ code: 4003, reason: "forbidden" });

    await setRules(as(project.keys.secret), collection, { read: "true", list: "doc.listed == true" });
    const visitor = await watch(collection, project.keys.public);
    const docs = writer(project, collection);
    await docs.create("hidden", { listed: false });
    await docs.create("shown", { listed: true });
    expect((await events(visitor.socket, 1)).map((e) => e.id)).toEqual(["shown"]);
    visitor.socket.close();
  });

  it("refuses a bad filter or collection name in-band, with an error frame and a close code", async () => {
    const project = await createProject();
    const badFilter = await connectWatcher("posts", project.keys.secret, { filter: "status ==" });
    expect(await badFilter.next()).toMatchObject({ type: "error", code: "invalid_filter" });
    expect((await badFilter.closed()).code).toBe(4000);
    const badName = await connectWatcher("9posts", project.keys.secret);
    expect(await badName.next()).toMatchObject({ type: "error", code: "invalid_collection" });
    expect((await badName.closed()).code).toBe(4004);
    const noCredentials = await connectWatcher("posts", "");
    expect(await noCredentials.next()).toMatchObject({ type: "error", code: "unauthorized" });
  });
});

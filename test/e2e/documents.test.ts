// The SDK's collection client against a real worker (wrangler dev, see global-setup.ts) over real
// HTTP: every method of `client.collection()` and `writeBatch`, both filter syntaxes, paging,
// security rules with user tokens, and the typed errors an application switches on.
import { beforeAll, describe, expect, it } from "vitest";
import {
  arrayAppend,
  arrayRemove,
  type Collection,
  deleteField,
  type FlarebaseClient,
  FlarebaseError,
  increment,
  type StoredDocument,
  serverTimestamp,
  writeBatch,
} from "../../sdk/index";
import { clientFor, createTestProject, rejection, type TestProject } from "./helpers";

async function flarebaseError(fn: () => Promise<unknown>): Promise<FlarebaseError> {
  const error = await rejection(fn);
  expect(error).toBeInstanceOf(FlarebaseError);
  return error as FlarebaseError;
}

/** Sets a collection's rules through the secret-key rules API (the SDK has no method for it). */
async function setRules(secret: FlarebaseClient, collection: string, rules: Record<string, string>) {
  await secret.request("PUT", `/v1/collections/${collection}/rules`, { body: rules });
}

interface Person {
  name: string;
  age: number;
  status: "active" | "away";
  role: string;
  email: string;
  profile: { city: string };
  nickname?: string | null;
}

const PEOPLE: { id: string; data: Person }[] = [
  { id: "ann", data: person("Ann", 31, "active", "admin", "ann@a.io", "Oslo") },
  { id: "bob", data: person("Bob", 17, "away", "member", "bob@b.io", "Lagos", "bobby") },
  { id: "cyd", data: person("Cyd", 45, "active", "editor", "cyd@a.io", "Oslo") },
  { id: "dan", data: person("Dan", 31, "active", "member", "dan@c.io", "Lima", null) },
  { id: "eve", data: person("Eve", 22, "away", "member", "eve@a.io", "Lagos") },
  { id: "fay", data: person("Fay", 60, "active", "admin", "fay@c.io", "Lima", "f") },
  { id: "gus", data: person("Gus", 31, "away", "editor", "gus@b.io", "Oslo") },
];

function person(
  name: string,
  age: number,
  status: Person["status"],
  role: string,
  email: string,
  city: string,
  nickname?: string | null,
): Person {
  return { name, age, status, role, email, profile: { city }, ...(nickname !== undefined ? { nickname } : {}) };
}

const idsOf = (docs: { id: string }[]) => docs.map((doc) => doc.id);
const idsWhere = (keep: (p: Person) => boolean) =>
  PEOPLE.filter((p) => keep(p.data))
    .map((p) => p.id)
    .sort();

describe("collection reads: filters, sort, pages, projection, count, aggregate", () => {
  let people: Collection<Person>;

  beforeAll(async () => {
    const { secretClient } = await createTestProject();
    people = secretClient.collection<Person>("people");
    await people.batch(PEOPLE.map(({ id, data }) => ({ op: "create", id, data })));
  });

  it("filters with the query-parameter object: operators, nested fields, lists, null", async () => {
    const cases: [Parameters<typeof people.list>[0], string[]][] = [
      [{ filter: { status: "active", age_gte: 31 } }, idsWhere((p) => p.status === "active" && p.age >= 31)],
      [{ filter: { "profile.city": "Oslo", age_ne: 31 } }, ["cyd"]],
      [{ filter: { role_in: ["admin", "editor"] } }, idsWhere((p) => p.role === "admin" || p.role === "editor")],
      [{ filter: { role_notin: ["admin", "editor"], age_lt: 30 } }, ["bob", "eve"]],
      [{ filter: { email_endswith: "@a.io", name_startswith: "A" } }, ["ann"]],
      [{ filter: { email_contains: "@b" } }, ["bob", "gus"]],
      [{ filter: { nickname: null } }, idsWhere((p) => p.nickname == null)],
      [{ filter: { nickname_isnull: false } }, ["bob", "fay"]],
      // `31` travels as text and still matches the number 31.
      [{ filter: { age: 31 } }, ["ann", "dan", "gus"]],
    ];
    for (const [query, expected] of cases) {
      const page = await people.list({ ...query, sort: "id" });
      expect(idsOf(page.items), JSON.stringify(query)).toEqual(expected);
    }
  });

  it("builds or-groups from [or], [or:group] and a__or__b keys, ANDed with plain keys", async () => {
    const single = await people.list({ filter: { status: "active", "[or]role": "admin", "[or]age_gte": 45 } });
    expect(idsOf(single.items).sort()).toEqual(
      idsWhere((p) => p.status === "active" && (p.role === "admin" || p.age >= 45)),
    );

    const twoGroups = await people.list({
      filter: {
        "[or:a]profile.city": "Oslo",
        "[or:a]age_lt": 20,
        "[or:b]status": "away",
        "[or:b]role": "editor",
      },
    });
    expect(idsOf(twoGroups.items).sort()).toEqual(
      idsWhere((p) => (p.profile.city === "Oslo" || p.age < 20) && (p.status === "away" || p.role === "editor")),
    );

    const either = await people.list({ filter: { name__or__email_contains: "y" } });
    expect(idsOf(either.items).sort()).toEqual(["cyd", "fay"]);
  });

  it("filters with an expression string: typed values, nested fields, parentheses, lists, null", async () => {
    const cases: [string, string[]][] = [
      [
        'age >= 18 && (status = "active" || role in ["editor", "x"])',
        idsWhere((p) => p.age >= 18 && (p.status === "active" || p.role === "editor")),
      ],
      ['profile.city == "Lagos" and not (age > 20)', ["bob"]],
      ["nickname == null", idsWhere((p) => p.nickname == null)],
      // Typed equality: the string "31" is not the number 31.
      ['age == "31"', []],
      ["age == 31 && name startswith 'D'", ["dan"]],
    ];
    for (const [filter, expected] of cases) {
      expect(idsOf((await people.list({ filter, sort: "id" })).items), filter).toEqual(expected);
    }
  });

  it("sorts on several keys, nested ones included, ties broken by id", async () => {
    const page = await people.list({ sort: ["profile.city", "-age"] });
    const expected = [...PEOPLE]
      .sort(
        (a, b) =>
          a.data.profile.city.localeCompare(b.data.profile.city) || b.data.age - a.data.age || a.id.localeCompare(b.id),
      )
      .map((p) => p.id);
    expect(idsOf(page.items)).toEqual(expected);
    // Ties on age (ann, dan, gus are 31) come out by id, in both directions of the key.
    expect(idsOf((await people.list({ sort: "-age", filter: { age: 31 } })).items)).toEqual(["ann", "dan", "gus"]);
    expect(idsOf((await people.list({ sort: "age,-name" })).items)).toEqual([
      "bob",
      "eve",
      "gus",
      "dan",
      "ann",
      "cyd",
      "fay",
    ]);
  });

  it("pages with limit and keyset cursors, totals on request, and iterates over every page", async () => {
    const seen: string[] = [];
    let page = await people.list({ sort: "-age", limit: 3, total: true });
    expect(page.total).toBe(PEOPLE.length);
    expect(page.items).toHaveLength(3);
    seen.push(...idsOf(page.items));
    let pages = 1;
    while (page.next_cursor) {
      page = await people.list({ sort: "-age", limit: 3, cursor: page.next_cursor });
      seen.push(...idsOf(page.items));
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(page.total).toBeUndefined();
    expect(seen).toEqual(idsOf((await people.list({ sort: "-age" })).items));

    const iterated: string[] = [];
    for await (const doc of people.iterate({ filter: { status: "active" }, sort: "name", limit: 2 })) {
      iterated.push(doc.id);
    }
    expect(iterated).toEqual(["ann", "cyd", "dan", "fay"]);

    const offset = await people.list({ sort: "id", offset: 5 });
    expect(idsOf(offset.items)).toEqual(["fay", "gus"]);
  });

  it("projects data with select and exclude, nested paths included", async () => {
    const selected = await people.list({ filter: { name: "Ann" }, select: ["name", "profile.city"] });
    expect(selected.items[0]?.data).toEqual({ name: "Ann", profile: { city: "Oslo" } });
    expect(selected.items[0]).toMatchObject({ id: "ann", version: 1 });

    const excluded = await people.list({ filter: { name: "Ann" }, exclude: ["email", "profile.city", "role"] });
    expect(excluded.items[0]?.data).toEqual({ name: "Ann", age: 31, status: "active", profile: {} });
  });

  it("counts and aggregates under a filter, grouped by one or more fields", async () => {
    expect(await people.count()).toBe(PEOPLE.length);
    expect(await people.count({ status: "away" })).toBe(3);
    expect(await people.count("age > 30 && profile.city == 'Oslo'")).toBe(3);

    const sum = await people.aggregate({ operation: "sum", field: "age", filter: { status: "active" } });
    expect(sum).toMatchObject({ operation: "sum", field: "age", result: 31 + 45 + 31 + 60, count: 4 });
    const avg = await people.aggregate({ operation: "avg", field: "age" });
    expect(avg.result).toBeCloseTo(PEOPLE.reduce((total, p) => total + p.data.age, 0) / PEOPLE.length);
    expect((await people.aggregate({ operation: "min", field: "age" })).result).toBe(17);
    expect((await people.aggregate({ operation: "max", field: "name", filter: "age < 40" })).result).toBe("Gus");

    const byStatus = await people.aggregate({ operation: "count", groupBy: "status" });
    expect(byStatus.group_by).toEqual(["status"]);
    expect(byStatus.groups).toEqual(
      expect.arrayContaining([
        { key: { status: "active" }, result: 4, count: 4 },
        { key: { status: "away" }, result: 3, count: 3 },
      ]),
    );
    expect(byStatus.groups).toHaveLength(2);

    const byCityRole = await people.aggregate({
      operation: "max",
      field: "age",
      groupBy: ["profile.city", "role"],
      filter: { "profile.city": "Oslo" },
    });
    expect(byCityRole.group_by).toEqual(["profile.city", "role"]);
    expect(byCityRole.groups).toHaveLength(2);
    expect(byCityRole.groups).toEqual(
      expect.arrayContaining([
        { key: { "profile.city": "Oslo", role: "admin" }, result: 31, count: 1 },
        { key: { "profile.city": "Oslo", role: "editor" }, result: 45, count: 2 },
      ]),
    );
  });

  it("rejects list values a URL cannot carry with a TypeError instead of sending another query", async () => {
    // The server splits `_in` lists on commas: ["a,b"] would silently become ["a", "b"].
    for (const filter of [
      { role_in: ["member", "admin,editor"] },
      { role_notin: [] },
      { role: ["admin", "editor"] },
      { name_contains: ["A"] },
    ]) {
      const pending = people.list({ filter });
      await expect(pending, JSON.stringify(filter)).rejects.toThrow(TypeError);
      await expect(people.count(filter)).rejects.toThrow(TypeError);
    }
    const expression = await people.list({ filter: 'role in ["member", "admin,editor"]', sort: "id" });
    expect(idsOf(expression.items)).toEqual(idsWhere((p) => p.role === "member"));
  });

  it("refuses a broken expression with invalid_filter and the position of the error", async () => {
    const error = await flarebaseError(() => people.list({ filter: 'age >= 18 && (status = "active"' }));
    expect(error).toMatchObject({ status: 400, code: "invalid_filter" });
    expect((error.details as { position?: unknown }).position).toBeTypeOf("number");

    const badField = await flarebaseError(() => people.count("profile.ci-ty == 1"));
    expect(badField).toMatchObject({ status: 400, code: "invalid_filter" });
    expect((badField.details as { position: number }).position).toBe("profile.ci".length);
  });
});

describe("collection writes", () => {
  let project: TestProject;
  beforeAll(async () => {
    project = await createTestProject();
  });

  it("creates with a generated or a given id, gets, and refuses a taken id with conflict", async () => {
    const notes = project.secretClient.collection<{ text: string; n?: number }>("notes");
    const generated = await notes.create({ text: "hello" });
    expect(generated).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{20}$/),
      data: { text: "hello" },
      version: 1,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      updated_at: generated.created_at,
    });
    expect(await notes.get(generated.id)).toEqual(generated);

    const given = await notes.create({ text: "mine" }, { id: "note-1" });
    expect(given).toMatchObject({ id: "note-1", data: { text: "mine" }, version: 1 });
    const taken = await flarebaseError(() => notes.create({ text: "again" }, { id: "note-1" }));
    expect(taken).toMatchObject({ status: 409, code: "conflict" });
    expect((await notes.get("note-1")).data).toEqual({ text: "mine" });

    // An empty id is the server's to refuse, not a request for a generated one.
    expect(await flarebaseError(() => notes.create({ text: "x" }, { id: "" }))).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    const missing = await flarebaseError(() => notes.get("nope"));
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
  });

  it("merges with update, replaces with replace, and guards both with ifMatch", async () => {
    const items = project.secretClient.collection<{ a?: number; b?: number; c?: number; nested?: object }>("items");
    const doc = await items.create({ a: 1, b: 2, nested: { x: 1 } });
    const merged = await items.update(doc.id, { b: 20, c: 3 }, { ifMatch: doc.version });
    expect(merged).toMatchObject({ data: { a: 1, b: 20, c: 3, nested: { x: 1 } }, version: 2 });

    const stale = await flarebaseError(() => items.update(doc.id, { a: 100 }, { ifMatch: doc.version }));
    expect(stale).toBeInstanceOf(FlarebaseError);
    expect(stale).toMatchObject({ status: 409, code: "conflict" });
    const staleReplace = await flarebaseError(() => items.replace(doc.id, { a: 100 }, { ifMatch: 1 }));
    expect(staleReplace.code).toBe("conflict");
    const staleDelete = await flarebaseError(() => items.delete(doc.id, { ifMatch: 1 }));
    expect(staleDelete.code).toBe("conflict");
    expect((await items.get(doc.id)).data).toEqual({ a: 1, b: 20, c: 3, nested: { x: 1 } });

    const replaced = await items.replace(doc.id, { c: 30 }, { ifMatch: merged.version });
    expect(replaced).toMatchObject({ id: doc.id, data: { c: 30 }, version: 3 });
    expect(replaced.created_at).toBe(doc.created_at);

    // replace on a missing id creates the document.
    expect(await items.replace("fresh", { a: 7 })).toMatchObject({ id: "fresh", data: { a: 7 }, version: 1 });

    expect(await items.delete(doc.id, { ifMatch: replaced.version })).toEqual({
      id: doc.id,
      deleted: true,
      version: 3,
    });
    expect((await flarebaseError(() => items.get(doc.id))).code).toBe("not_found");
    expect((await flarebaseError(() => items.delete(doc.id))).code).toBe("not_found");
    expect((await flarebaseError(() => items.update("ghost", { a: 1 }))).code).toBe("not_found");
  });

  it("applies field operators on update", async () => {
    const counters = project.secretClient.collection("counters");
    const doc = await counters.create({ views: 1, tags: ["a", "b"], temp: true });
    const updated = await counters.update(
      doc.id,
      { title: "t" },
      {
        operators: {
          views: increment(2),
          seen_at: serverTimestamp(),
          tags: arrayAppend(["b", "c"], { unique: true }),
          temp: deleteField(),
        },
      },
    );
    expect(updated.data).toEqual({ views: 3, tags: ["a", "b", "c"], title: "t", seen_at: updated.updated_at });
  });

  it("writes a batch in one collection atomically, and writes nothing when one operation fails", async () => {
    const tasks = project.secretClient.collection<{ title: string; done?: boolean; n?: number }>("tasks");
    const created = await tasks.batch([
      { op: "create", id: "t1", data: { title: "one", n: 0 } },
      { op: "create", id: "t2", data: { title: "two" } },
      { op: "create", data: { title: "three" } },
    ]);
    expect(created.map((r) => [r.op, r.version])).toEqual([
      ["create", 1],
      ["create", 1],
      ["create", 1],
    ]);
    const generatedId = created[2]?.id ?? "";
    expect(generatedId).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const results = await tasks.batch([
      { op: "update", id: "t1", data: { done: true }, operators: { n: increment(5) } },
      { op: "delete", id: "t2" },
      { op: "replace", id: generatedId, data: { title: "3" } },
    ]);
    expect(results.map((r) => [r.op, r.id, r.version])).toEqual([
      ["update", "t1", 2],
      ["delete", "t2", 1],
      ["update", generatedId, 2],
    ]);
    expect((await tasks.get("t1")).data).toEqual({ title: "one", n: 5, done: true });
    const before = await tasks.changes();
    expect(before.last_seq).toBe(6);

    const failed = await flarebaseError(() =>
      tasks.batch([
        { op: "create", id: "t3", data: { title: "three" } },
        { op: "update", id: "t1", operators: { n: increment(1) } },
        { op: "update", id: "missing", data: { done: true } },
      ]),
    );
    expect(failed).toMatchObject({ status: 404, code: "not_found" });
    const conflicting = await flarebaseError(() =>
      tasks.batch([
        { op: "delete", id: "t1" },
        { op: "create", id: "t4", data: { title: "four" } },
        { op: "update", id: generatedId, data: { title: "x" }, if_match: 1 },
      ]),
    );
    expect(conflicting).toMatchObject({ status: 409, code: "conflict" });

    expect(await tasks.count()).toBe(2);
    expect(await tasks.get("t1")).toMatchObject({ data: { title: "one", n: 5, done: true }, version: 2 });
    for (const id of ["t3", "t4"]) expect((await flarebaseError(() => tasks.get(id))).code).toBe("not_found");
    expect((await tasks.changes()).last_seq).toBe(before.last_seq);
  });

  it("follows the change feed page by page, passing next_cursor back as since", async () => {
    const log = project.secretClient.collection<{ n: number }>("changelog");
    for (let n = 1; n <= 5; n++) await log.create({ n }, { id: `c${n}` });
    await log.delete("c2");

    const seen: [number, string, string][] = [];
    let since: number | string = 0;
    for (let pages = 0; pages < 10; pages++) {
      const page = await log.changes({ since, limit: 2 });
      for (const change of page.items) seen.push([change.seq, change.op, change.id]);
      if (page.next_cursor === null) break;
      since = page.next_cursor;
    }
    expect(seen).toEqual([
      [1, "create", "c1"],
      [2, "create", "c2"],
      [3, "create", "c3"],
      [4, "create", "c4"],
      [5, "create", "c5"],
      [6, "delete", "c2"],
    ]);
  });

  it("pages through the project's collections with client.collections.list (secret key only)", async () => {
    const { secretClient, publicClient } = await createTestProject();
    for (const name of ["gamma", "alpha", "beta"]) await secretClient.collection(name).create({ n: 1 });
    await secretClient.collection("alpha").create({ n: 2 });
    const first = await secretClient.collections.list({ limit: 2 });
    expect(first.items).toEqual([
      { name: "alpha", documents: 2, last_seq: 2 },
      { name: "beta", documents: 1, last_seq: 1 },
    ]);
    const second = await secretClient.collections.list({ limit: 2, cursor: first.next_cursor });
    expect(second).toEqual({ items: [{ name: "gamma", documents: 1, last_seq: 1 }], next_cursor: null });
    expect((await flarebaseError(() => publicClient.collections.list())).code).toBe("forbidden");
  });

  it("writes across collections with writeBatch and field operators, all or nothing", async () => {
    const client = project.secretClient;
    const inventory = client.collection<{ stock: number; tags: string[]; note?: string }>("inventory");
    const orders = client.collection("orders");
    await inventory.create({ stock: 5, tags: ["new", "sale", "new"], note: "x" }, { id: "widget" });

    const results = await writeBatch(client, [
      {
        op: "create",
        collection: "orders",
        id: "o1",
        data: { item: "widget", qty: 2 },
        operators: { at: serverTimestamp() },
      },
      {
        op: "update",
        collection: "inventory",
        id: "widget",
        operators: {
          stock: increment(-2),
          tags: arrayRemove(["new"]),
          history: arrayAppend(["o1"]),
          note: deleteField(),
          touched_at: serverTimestamp(),
        },
      },
    ]);
    expect(results.map((r) => [r.op, r.collection, r.id])).toEqual([
      ["create", "orders", "o1"],
      ["update", "inventory", "widget"],
    ]);
    const order = await orders.get("o1");
    expect(order.data).toEqual({ item: "widget", qty: 2, at: order.created_at });
    const widget = await inventory.get("widget");
    expect(widget.data).toEqual({ stock: 3, tags: ["sale"], history: ["o1"], touched_at: widget.updated_at });
    // One commit: the timestamps of both documents are the same moment.
    expect(widget.updated_at).toBe(order.created_at);

    const failed = await flarebaseError(() =>
      writeBatch(client, [
        { op: "create", collection: "orders", id: "o2", data: { item: "widget", qty: 1 } },
        { op: "update", collection: "inventory", id: "widget", operators: { stock: increment(-1) } },
        { op: "create", collection: "orders", id: "o1", data: { item: "dup" } },
      ]),
    );
    expect(failed).toMatchObject({ status: 409, code: "conflict" });
    expect((await flarebaseError(() => orders.get("o2"))).code).toBe("not_found");
    expect((await inventory.get("widget")).data.stock).toBe(3);
  });
});

describe("security rules through the SDK", () => {
  interface Note {
    owner: string;
    text: string;
  }

  it("keeps a collection without rules closed to public keys and users, open to secret keys", async () => {
    const { publicClient, secretClient } = await createTestProject();
    await secretClient.collection("private").create({ a: 1 }, { id: "p1" });
    const closed = publicClient.collection("private");
    for (const call of [
      () => closed.list(),
      () => closed.get("p1"),
      () => closed.create({ a: 2 }),
      () => closed.count(),
      () => closed.aggregate({ operation: "count" }),
    ]) {
      expect(await flarebaseError(call)).toMatchObject({ status: 403, code: "forbidden" });
    }
    const { token } = await secretClient.auth.createToken({ user_id: "u1" });
    const user = clientFor({ token }).collection("private");
    expect((await flarebaseError(() => user.list())).code).toBe("forbidden");
    expect(await secretClient.collection("private").count()).toBe(1);
  });

  it("applies an owner rule: others cannot read or change a note, lists and counts hold only one's own", async () => {
    const { secretClient } = await createTestProject();
    await setRules(secretClient, "notes", {
      read: "doc.owner == auth.id",
      create: "auth.id != null && data.owner == auth.id",
      update: "doc.owner == auth.id && data.owner == auth.id",
      delete: "doc.owner == auth.id",
    });
    const as = async (userId: string) => {
      const { token } = await secretClient.auth.createToken({ user_id: userId });
      return clientFor({ token }).collection<Note>("notes");
    };
    const [alice, bob] = await Promise.all([as("alice"), as("bob")]);

    const mine = await alice.create({ owner: "alice", text: "a1" });
    await alice.batch([
      { op: "create", data: { owner: "alice", text: "a2" } },
      { op: "create", data: { owner: "alice", text: "a3" } },
    ]);
    await bob.create({ owner: "bob", text: "b1" });
    expect((await flarebaseError(() => bob.create({ owner: "alice", text: "forged" }))).code).toBe("forbidden");

    expect((await flarebaseError(() => bob.get(mine.id))).code).toBe("not_found");
    // Bob cannot read the note, so to him it does not exist: writes answer not_found like the read.
    expect(await flarebaseError(() => bob.update(mine.id, { owner: "bob", text: "taken" }))).toMatchObject({
      status: 404,
      code: "not_found",
    });
    expect((await flarebaseError(() => bob.delete(mine.id))).code).toBe("not_found");
    expect((await alice.get(mine.id)).data.text).toBe("a1");

    const alicePage = await alice.list({ sort: "text", total: true, limit: 2 });
    expect(alicePage.total).toBe(3);
    const aliceAll: string[] = [];
    for await (const note of alice.iterate({ limit: 2, sort: "text" })) aliceAll.push(note.data.text);
    expect(aliceAll).toEqual(["a1", "a2", "a3"]);
    // A filter cannot widen the rule.
    const widened = await bob.list({ filter: 'owner == "alice" || true' });
    expect(widened.items.map((note: StoredDocument<Note>) => note.data.owner)).toEqual(["bob"]);
    expect(await bob.count()).toBe(1);
    expect((await bob.aggregate({ operation: "count", groupBy: "owner" })).groups).toEqual([
      { key: { owner: "bob" }, result: 1, count: 1 },
    ]);
    // A batch with one operation on a note Bob cannot see writes nothing, and names that operation.
    expect(
      await flarebaseError(() =>
        bob.batch([
          { op: "create", id: "bob-2", data: { owner: "bob", text: "b2" } },
          { op: "delete", id: mine.id },
        ]),
      ),
    ).toMatchObject({ code: "not_found", details: { index: 1, collection: "notes" } });
    expect(await bob.count()).toBe(1);

    expect(await alice.update(mine.id, { owner: "alice", text: "edited" })).toMatchObject({ version: 2 });
    expect(await alice.delete(mine.id)).toMatchObject({ deleted: true });
  });
});

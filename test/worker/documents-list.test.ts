import { describe, expect, it } from "vitest";
import { compareForSort, matches, parseExpression, parseSort } from "../../core/query";
import { enc, expectStatus, type Page, projectWithSecret, seed, setRules } from "./documents-helpers";
import { errorOf } from "./helpers";

const list = "/v1/collections/people/documents";

const PEOPLE = [
  {
    id: "ann",
    data: { name: "Ann", age: 31, status: "active", role: "admin", profile: { city: "Oslo" }, tags: ["x", "y"] },
  },
  { id: "bob", data: { name: "Bob", age: 17, status: "active", role: "user", profile: { city: "Rome" }, tags: ["y"] } },
  { id: "cat", data: { name: "Cat", age: 45, status: "banned", role: "user", profile: { city: "Oslo" } } },
  { id: "dan", data: { name: "Dan", age: "40", status: "active", role: "guest" } },
  { id: "eve", data: { name: "Eve", age: null, status: "pending", role: "user", profile: { city: "Lima" } } },
  { id: "fay", data: { name: "Fay", status: "active", role: "admin", profile: { city: "Rome" }, tags: [] } },
];

async function people() {
  const context = await projectWithSecret();
  await seed(context.secret, "people", PEOPLE);
  return context;
}

const ids = (page: Page) => page.items.map((doc) => doc.id);

describe("document lists", () => {
  it("filters with query parameters and with an expression, the same way", async () => {
    const { secret } = await people();
    const byParams = await expectStatus<Page>(secret.get(`${list}?age_gte=18&status=active`), 200);
    const byExpression = await expectStatus<Page>(
      secret.get(`${list}?filter=${enc('age >= 18 && status == "active"')}`),
      200,
    );
    // Query-parameter values are strings on the wire, so `age_gte=18` also compares as text:
    // Dan's age is the string "40". The expression says exactly which type it means.
    expect(ids(byParams)).toEqual(["ann", "dan"]);
    expect(ids(byExpression)).toEqual(["ann"]);
    // Both at once are ANDed.
    const both = await expectStatus<Page>(secret.get(`${list}?status=active&filter=${enc("age < 20")}`), 200);
    expect(ids(both)).toEqual(["bob"]);
  });

  it("supports or-groups, multi-field or, in/notin, contains, startswith, isnull and nested fields", async () => {
    const { secret } = await people();
    const cases: [string, string[]][] = [
      ["[or]role=admin&[or]age_lt=18", ["ann", "bob", "fay"]],
      ["[or:a]role=admin&[or:a]role=guest&[or:b]status=active&[or:b]status=pending", ["ann", "dan", "fay"]],
      ["name__or__role_contains=a", ["ann", "cat", "dan", "fay"]],
      ["role_in=admin,guest", ["ann", "dan", "fay"]],
      ["role_notin=admin,guest", ["bob", "cat", "eve"]],
      ["name_startswith=E", ["eve"]],
      ["profile.city=Oslo", ["ann", "cat"]],
      ["age_isnull=true", ["eve", "fay"]],
      [`filter=${enc('profile.city == "Rome" || tags contains "x"')}`, ["ann", "bob", "fay"]],
      [`filter=${enc('role in ["admin", "guest"] && !(age >= 30)')}`, ["dan", "fay"]],
      [`filter=${enc("age == null")}`, ["eve", "fay"]],
      [`filter=${enc('age == "40"')}`, ["dan"]],
      [`filter=${enc("age == 40")}`, []],
    ];
    for (const [query, expected] of cases) {
      expect(ids(await expectStatus<Page>(secret.get(`${list}?${query}`), 200)), query).toEqual(expected);
    }
  });

  it("answers 400 invalid_filter with the position of the error", async () => {
    const { secret } = await people();
    const error = await errorOf(await secret.get(`${list}?filter=${enc("age >= && x")}`));
    expect(error).toMatchObject({ status: 400, code: "invalid_filter" });
    expect((error.details as { position: number }).position).toBeTypeOf("number");
    expect(await errorOf(await secret.get(`${list}?sort=${enc("a;b")}`))).toMatchObject({ code: "invalid_filter" });
    expect(
      await errorOf(await secret.get(`${list}?filter=${enc(`${"(".repeat(40)}a == 1${")".repeat(40)}`)}`)),
    ).toMatchObject({
      code: "invalid_filter",
    });
    expect(await errorOf(await secret.get(`${list}?filter=${enc("a == 1 || ".repeat(1000))}a == 1`))).toMatchObject({
      code: "invalid_filter",
    });
  });

  it("sorts by several keys, nested fields and mixed types, stable by id", async () => {
    const { secret } = await people();
    const byAge = await expectStatus<Page>(secret.get(`${list}?sort=age`), 200);
    // missing/null < numbers < strings; ties by id.
    expect(ids(byAge)).toEqual(["eve", "fay", "bob", "ann", "cat", "dan"]);
    const byCityThenAge = await expectStatus<Page>(secret.get(`${list}?sort=${enc("profile.city,-age")}`), 200);
    expect(ids(byCityThenAge)).toEqual(["dan", "eve", "cat", "ann", "bob", "fay"]);
    const cocobase = await expectStatus<Page>(secret.get(`${list}?sort=name&order=desc`), 200);
    expect(ids(cocobase)).toEqual(["fay", "eve", "dan", "cat", "bob", "ann"]);
    const byCreated = await expectStatus<Page>(secret.get(`${list}?sort=-created_at`), 200);
    expect(byCreated.items).toHaveLength(6);
  });

  it("pages with limit/offset and with keyset cursors that survive inserts before the cursor", async () => {
    const { secret } = await people();
    expect(ids(await expectStatus<Page>(secret.get(`${list}?limit=2&offset=2`), 200))).toEqual(["cat", "dan"]);
    const first = await expectStatus<Page>(secret.get(`${list}?sort=-age&limit=4`), 200);
    expect(ids(first)).toEqual(["dan", "cat", "ann", "bob"]);
    expect(first.next_cursor).toBeTypeOf("string");
    // A document inserted before the cursor position does not shift the next page.
    await expectStatus(secret.post(list, { id: "aaa", data: { age: 99 } }), 201);
    const second = await expectStatus<Page>(secret.get(`${list}?sort=-age&limit=4&cursor=${first.next_cursor}`), 200);
    expect(ids(second)).toEqual(["eve", "fay"]);
    expect(second.next_cursor).toBeNull();
  });

  it("refuses cursors that are garbage, tampered or from another sort, and cursor with offset", async () => {
    const { secret } = await people();
    const first = await expectStatus<Page>(secret.get(`${list}?sort=name&limit=2`), 200);
    for (const query of [
      `sort=name&cursor=nope`,
      `sort=age&cursor=${first.next_cursor}`,
      `sort=name&cursor=${first.next_cursor}&offset=1`,
      `sort=name&cursor=${btoa(JSON.stringify(["name", [{ $: 1 }, "x"], "a"]))}`,
    ]) {
      expect(await errorOf(await secret.get(`${list}?${query}`)), query).toMatchObject({
        status: 400,
        code: "invalid_request",
      });
    }
  });

  it("projects with select and exclude, nested paths included", async () => {
    const { secret } = await people();
    const selected = await expectStatus<Page>(secret.get(`${list}?select=name&select=profile.city&limit=1`), 200);
    expect(selected.items[0]?.data).toEqual({ name: "Ann", profile: { city: "Oslo" } });
    const excluded = await expectStatus<Page>(
      secret.get(`${list}?exclude=${enc("tags,profile.city,role,status")}&limit=1`),
      200,
    );
    expect(excluded.items[0]?.data).toEqual({ name: "Ann", age: 31, profile: {} });
    expect(await errorOf(await secret.get(`${list}?select=${enc("a'b")}`))).toMatchObject({ status: 400 });
  });

  it("returns total on request, counted under the same filter, ignoring paging", async () => {
    const { secret } = await people();
    const page = await expectStatus<Page>(secret.get(`${list}?status=active&limit=1&total=true`), 200);
    expect(page.items).toHaveLength(1);
    expect(page.total).toBe(4);
    expect((await expectStatus<Page>(secret.get(list), 200)).total).toBeUndefined();
  });

  it("enforces the page size limit and returns [] for an unknown collection", async () => {
    const { secret } = await people();
    expect(await errorOf(await secret.get(`${list}?limit=1001`))).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    expect(await errorOf(await secret.get(`${list}?limit=0`))).toMatchObject({ status: 400 });
    expect(await errorOf(await secret.get(`${list}?offset=-1`))).toMatchObject({ status: 400 });
    expect((await expectStatus<Page>(secret.get(`${list}?limit=1000`), 200)).items).toHaveLength(6);
    expect(await expectStatus(secret.get("/v1/collections/nothing/documents"), 200)).toEqual({
      items: [],
      next_cursor: null,
    });
  });
});

describe("the collection list", () => {
  type CollectionsPage = { items: { name: string; documents: number; last_seq: number }[]; next_cursor: string | null };

  it("pages through the project's collections by name with limit and cursor", async () => {
    const { secret } = await projectWithSecret();
    for (const [name, count] of [
      ["c", 3],
      ["a", 1],
      ["e", 2],
      ["b", 1],
      ["d", 1],
    ] as const) {
      await seed(
        secret,
        name,
        Array.from({ length: count }, (_, i) => ({ data: { i } })),
      );
    }
    await setRules(secret, "f", { read: "true" }); // settings only: listed with no documents
    const page = (query: string) => expectStatus<CollectionsPage>(secret.get(`/v1/collections${query}`), 200);

    const all = await page("");
    expect(all.items.map((c) => c.name)).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(all.next_cursor).toBeNull();
    expect(all.items.find((c) => c.name === "c")).toEqual({ name: "c", documents: 3, last_seq: 3 });
    expect(all.items.find((c) => c.name === "f")).toEqual({ name: "f", documents: 0, last_seq: 0 });

    const first = await page("?limit=2");
    expect(first.items.map((c) => c.name)).toEqual(["a", "b"]);
    expect(first.next_cursor).toEqual(expect.any(String));
    // A collection that appears before the cursor does not shift the next page.
    await seed(secret, "aa", [{ data: {} }]);
    const second = await page(`?limit=2&cursor=${enc(first.next_cursor ?? "")}`);
    expect(second.items.map((c) => c.name)).toEqual(["c", "d"]);
    const third = await page(`?limit=2&cursor=${enc(second.next_cursor ?? "")}`);
    expect(third.items.map((c) => c.name)).toEqual(["e", "f"]);
    expect(third.next_cursor).toBeNull();
    // Exactly one page's worth left: the page before it already knows nothing follows.
    const exact = await page("?limit=7");
    expect(exact.items).toHaveLength(7);
    expect(exact.next_cursor).toBeNull();

    for (const query of ["?limit=0", "?limit=1001", "?limit=x", "?cursor=%27%20OR%201%3D1", "?cursor=9a"]) {
      expect(await errorOf(await secret.get(`/v1/collections${query}`)), query).toMatchObject({
        status: 400,
        code: "invalid_request",
      });
    }
  });
});

describe("count and aggregates", () => {
  it("counts matching documents and ignores limit and offset", async () => {
    const { secret } = await people();
    expect(await expectStatus(secret.get("/v1/collections/people/count?status=active&limit=1&offset=3"), 200)).toEqual({
      count: 4,
    });
    expect(await expectStatus(secret.get(`/v1/collections/people/count?filter=${enc("age > 20")}`), 200)).toEqual({
      count: 2,
    });
  });

  it("computes count, sum, avg, min and max over numbers only", async () => {
    const { secret } = await people();
    const get = (query: string) =>
      expectStatus<{ result: unknown; count: number }>(secret.get(`/v1/collections/people/aggregate?${query}`), 200);
    expect(await get("operation=sum&field=age")).toMatchObject({
      result: 93,
      count: 6,
      operation: "sum",
      field: "age",
    });
    expect((await get("operation=avg&field=age")).result).toBe(31);
    expect((await get("operation=min&field=age&status=active")).result).toBe(17);
    // "40" is a string: numbers sort before strings, so max over numbers and strings is "40".
    expect((await get("operation=max&field=age")).result).toBe("40");
    expect((await get("operation=count&field=age")).result).toBe(4);
    expect((await get("operation=count")).result).toBe(6);
    expect((await get("operation=sum&field=nothing")).result).toBe(0);
    expect((await get("operation=avg&field=nothing")).result).toBeNull();
  });

  it("groups by one or more fields, a missing field grouping with null", async () => {
    const { secret } = await people();
    const body = await expectStatus<{ groups: { key: Record<string, unknown>; result: number; count: number }[] }>(
      secret.get("/v1/collections/people/aggregate?operation=sum&field=age&group_by=role"),
      200,
    );
    expect(body.groups).toEqual([
      { key: { role: "admin" }, result: 31, count: 2 },
      { key: { role: "guest" }, result: 0, count: 1 },
      { key: { role: "user" }, result: 62, count: 3 },
    ]);
    const two = await expectStatus<{ groups: { key: Record<string, unknown>; count: number }[] }>(
      secret.get("/v1/collections/people/aggregate?operation=count&group_by=profile.city,status&status_ne=banned"),
      200,
    );
    expect(two.groups).toContainEqual({ key: { "profile.city": null, status: "active" }, result: 1, count: 1 });
    expect(two.groups).toContainEqual({ key: { "profile.city": "Rome", status: "active" }, result: 2, count: 2 });
    expect(two.groups.reduce((n, g) => n + g.count, 0)).toBe(5);
  });

  it("orders groups like a list sorted by the group_by fields: typed, numbers numerically", async () => {
    const { secret } = await projectWithSecret();
    const values: unknown[] = [10, 9, 100, -2, 2.5, "9", "10", "b", "a", true, false, null, [1], { a: 1 }];
    await seed(secret, "mixed", [
      ...values.map((v, i) => ({ data: { v, w: i % 2 } })),
      { data: { w: 1 } }, // a missing v groups with null
      { data: { v: 9, w: 0 } },
    ]);
    type Group = { key: Record<string, unknown>; count: number };
    const one = await expectStatus<{ groups: Group[] }>(
      secret.get("/v1/collections/mixed/aggregate?operation=count&group_by=v"),
      200,
    );
    expect(one.groups.map((g) => g.key.v)).toEqual([
      null,
      false,
      true,
      -2,
      2.5,
      9,
      10,
      100,
      "10",
      "9",
      "a",
      "b",
      [1],
      { a: 1 },
    ]);
    expect(one.groups.find((g) => g.key.v === 9)?.count).toBe(2);
    expect(one.groups[0]?.count).toBe(2);
    // The list of the same sort, and the in-memory comparator, give the same order.
    const keys = parseSort("v");
    const listed = await expectStatus<Page>(secret.get("/v1/collections/mixed/documents?sort=v&limit=100"), 200);
    const distinct = (items: unknown[]) =>
      items.filter((v, i) => i === 0 || JSON.stringify(v ?? null) !== JSON.stringify(items[i - 1] ?? null));
    expect(distinct(listed.items.map((d) => d.data.v)).map((v) => v ?? null)).toEqual(one.groups.map((g) => g.key.v));
    expect([...one.groups].reverse().sort((a, b) => compareForSort(a.key, b.key, keys))).toEqual(one.groups);
    // Several fields: the first decides, the next breaks ties, each typed.
    const two = await expectStatus<{ groups: Group[] }>(
      secret.get(`/v1/collections/mixed/aggregate?operation=count&group_by=w,v&filter=${enc("v >= 2.5 && v <= 100")}`),
      200,
    );
    expect(two.groups.map((g) => [g.key.w, g.key.v])).toEqual([
      [0, 2.5],
      [0, 9],
      [0, 10],
      [0, 100],
      [1, 9],
    ]);
    const both = parseSort("w,v");
    expect([...two.groups].reverse().sort((a, b) => compareForSort(a.key, b.key, both))).toEqual(two.groups);
  });

  it("rejects unknown operations, missing fields and bad group_by paths", async () => {
    const { secret } = await people();
    for (const query of [
      "operation=median&field=age",
      "operation=sum",
      "operation=sum&field=a;b",
      "group_by=a,b,c,d",
      "group_by=x%27",
    ]) {
      expect(await errorOf(await secret.get(`/v1/collections/people/aggregate?${query}`)), query).toMatchObject({
        status: 400,
      });
    }
  });
});

/** A small random generator with a seed, so a failure can be replayed. */
function rng(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

describe("lists agree with the in-memory matcher and sort", () => {
  it("returns exactly the matching documents, in order, across cursor pages (random documents and filters)", {
    timeout: 30_000,
  }, async () => {
    const random = rng(42);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    const values = [0, 1, 2, 2.5, -1, "a", "b", "", "1", true, false, null, [1, "a"], { k: 1 }];
    const docs = Array.from({ length: 120 }, (_, i) => {
      const data: Record<string, unknown> = { n: i % 7 };
      for (const field of ["a", "b"]) if (random() < 0.8) data[field] = pick(values);
      if (random() < 0.6) data.o = { c: pick(values) };
      return { id: `d${String(i).padStart(3, "0")}`, data };
    });
    const { secret } = await projectWithSecret();
    await seed(secret, "rand", docs);

    const fields = ["a", "b", "o.c", "n", "missing"];
    const literals = ["0", "1", "2.5", '"a"', '""', '"1"', "true", "false", "null"];
    const ops = ["==", "!=", "<", "<=", ">", ">="];
    const term = () => {
      const r = random();
      if (r < 0.7) return `${pick(fields)} ${pick(ops)} ${pick(literals)}`;
      if (r < 0.85) return `${pick(fields)} in [${pick(literals)}, ${pick(literals)}]`;
      return `${pick(fields)} contains ${pick(literals)}`;
    };
    for (let round = 0; round < 25; round++) {
      const filter = `${term()} ${pick(["&&", "||"])} (${term()} || !(${term()}))`;
      const sort = `${pick(["", "-"])}${pick(fields)},${pick(["", "-"])}${pick(fields)}`;
      const ast = parseExpression(filter);
      const keys = parseSort(sort);
      const expected = docs
        .filter((doc) => matches(ast, { doc: doc.data }))
        .sort((x, y) => compareForSort(x.data, y.data, keys) || (x.id < y.id ? -1 : 1))
        .map((doc) => doc.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `filter=${enc(filter)}&sort=${enc(sort)}&limit=9${cursor ? `&cursor=${cursor}` : ""}`;
        const page: Page = await expectStatus<Page>(secret.get(`/v1/collections/rand/documents?${query}`), 200);
        seen.push(...ids(page));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen, `${filter} sorted by ${sort}`).toEqual(expected);
    }
  });
});

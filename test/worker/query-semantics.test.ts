import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../core/errors";
import type { AuthValues, FilterNode } from "../../core/query";
import {
  ANONYMOUS,
  authValues,
  compareForSort,
  MAX_SQL_PARAMS,
  matches,
  parseExpression,
  parseQueryParams,
  parseRule,
  parseSort,
} from "../../core/query";
import { compileFilter, compileOrderBy } from "../../data/query";

/*
 * The documented semantics, case by case, checked on both backends: every expectation below is
 * asserted for `matches` and for the compiled SQL on a real D1 table holding the same documents.
 */

const DOCS: Record<string, Record<string, unknown>> = {
  num18: { v: 18 },
  str18: { v: "18" },
  float: { v: 18.5 },
  zero: { v: 0 },
  one: { v: 1 },
  t: { v: true },
  f: { v: false },
  nul: { v: null },
  missing: {},
  empty: { v: "" },
  alice: { v: "Alice" },
  lower: { v: "alice" },
  emoji: { v: "😀" },
  private: { v: "\uE000" },
  list: { v: ["a", 1, true, null, [2], { x: 1 }] },
  obj: { v: { x: 1 } },
  nested: { v: { city: "Lagos", n: 2 } },
  proto: { v: { constructor: "c" } },
};

beforeAll(async () => {
  await env.DB.prepare("CREATE TABLE IF NOT EXISTS sem_docs (id TEXT PRIMARY KEY, data TEXT NOT NULL)").run();
  await env.DB.prepare("DELETE FROM sem_docs").run();
  const insert = env.DB.prepare("INSERT INTO sem_docs (id, data) VALUES (?, ?)");
  await env.DB.batch(Object.entries(DOCS).map(([id, data]) => insert.bind(id, JSON.stringify(data))));
});

/** Ids kept by the filter, in memory and in SQL; asserts that both backends agree. */
async function kept(node: FilterNode, auth: AuthValues | null = null, data?: unknown): Promise<string[]> {
  const memory = Object.keys(DOCS)
    .filter((id) => matches(node, { doc: DOCS[id], auth, data }))
    .sort();
  const where = compileFilter(node, { column: "d.data", auth, data });
  const { results } = await env.DB.prepare(`SELECT id FROM sem_docs d WHERE ${where.sql} ORDER BY id`)
    .bind(...where.params)
    .all<{ id: string }>();
  expect(results.map((r) => r.id).sort(), "SQL and matcher agree").toEqual(memory);
  return memory;
}

const expr = (text: string) => kept(parseExpression(text));
const sorted = (...ids: string[]) => ids.sort();
const ALL = Object.keys(DOCS);
const without = (...ids: string[]) => ALL.filter((id) => !ids.includes(id)).sort();

describe("typed comparisons", () => {
  it("a number never equals a string, and true never equals 1", async () => {
    expect(await expr("v == 18")).toEqual(["num18"]);
    expect(await expr('v == "18"')).toEqual(["str18"]);
    expect(await expr("v == 1")).toEqual(["one"]);
    expect(await expr("v == true")).toEqual(["t"]);
    expect(await expr("v == false")).toEqual(["f"]);
    expect(await expr("v == 0")).toEqual(["zero"]);
    expect(await expr("v")).toEqual(["t"]);
  });

  it("missing behaves as null: == null and isnull keep both, != null drops both", async () => {
    expect(await expr("v == null")).toEqual(sorted("nul", "missing"));
    expect(await kept(parseQueryParams({ v_isnull: "true" }))).toEqual(sorted("nul", "missing"));
    expect(await expr("v != null")).toEqual(without("nul", "missing"));
  });

  it("!= is the negation of ==: a missing field is != 18", async () => {
    expect(await expr("v != 18")).toEqual(without("num18"));
    expect(await expr("v not in [18, true]")).toEqual(without("num18", "t"));
  });

  it("< and > compare numbers with numbers and strings with strings only", async () => {
    expect(await expr("v > 1")).toEqual(sorted("num18", "float"));
    expect(await expr("v >= 0")).toEqual(sorted("num18", "float", "zero", "one"));
    expect(await expr('v > "A"')).toEqual(
      sorted("str18", "alice", "lower", "emoji", "private").filter((id) => id !== "str18"),
    );
    expect(await expr('v < "B"')).toEqual(sorted("str18", "empty", "alice"));
    expect(await expr("v < true")).toEqual([]);
    expect(await expr("v > null")).toEqual([]);
  });

  it("orders strings by code point, as SQLite does (astral characters after U+E000)", async () => {
    expect(await expr('v > "\uE000"')).toEqual(["emoji"]);
    expect(await expr('v < "😀"')).toEqual(
      without("emoji", "num18", "float", "zero", "one", "t", "f", "nul", "missing", "list", "obj", "nested", "proto"),
    );
  });

  it("arrays and objects equal nothing, not even a copy of themselves", async () => {
    expect(await expr("v == v")).toEqual(without("list", "obj", "nested", "proto"));
  });
});

describe("contains, startswith, endswith, in", () => {
  it("contains is a case-sensitive substring on strings and membership on arrays", async () => {
    expect(await expr('v contains "lic"')).toEqual(sorted("alice", "lower"));
    expect(await expr('v contains "Ali"')).toEqual(["alice"]);
    expect(await expr('v contains "a"')).toEqual(sorted("list", "lower"));
    expect(await expr("v contains 1")).toEqual(["list"]);
    expect(await expr("v contains true")).toEqual(["list"]);
    expect(await expr("v contains null")).toEqual(["list"]);
    expect(await expr('v contains "1"')).toEqual(["str18"]);
    expect(await expr('v contains ""')).toEqual(sorted("str18", "empty", "alice", "lower", "emoji", "private"));
  });

  it("startswith and endswith work on strings only", async () => {
    expect(await expr('v startswith "Al"')).toEqual(["alice"]);
    expect(await expr('v endswith "ice"')).toEqual(sorted("alice", "lower"));
    expect(await expr('v endswith "8"')).toEqual(["str18"]);
    expect(await expr('v endswith "xAlice"')).toEqual([]);
    expect(await expr("v startswith 1")).toEqual([]);
  });

  it("in takes a list (or a field holding an array) and uses typed equality", async () => {
    expect(await expr('v in [18, "Alice", null, false]')).toEqual(sorted("num18", "alice", "nul", "missing", "f"));
    expect(await expr("v in []")).toEqual([]);
    expect(await expr('"a" in v')).toEqual(["list"]);
  });
});

describe("field paths", () => {
  it("follows nested objects and stops at anything else", async () => {
    expect(await expr('v.city == "Lagos"')).toEqual(["nested"]);
    expect(await expr("v.n > 1")).toEqual(["nested"]);
    expect(await expr("v.length == 5")).toEqual([]);
    expect(await expr("v.x == 1")).toEqual(["obj"]);
  });

  it("never reaches the prototype", async () => {
    expect(await expr("v.constructor != null")).toEqual(["proto"]);
    expect(await expr("v.toString != null || v.__proto__ != null")).toEqual([]);
  });
});

describe("rules: auth and data are constants of the request", () => {
  const alice: AuthValues = { id: "u1", role: "member", kind: "user", claims: { team: "red", teams: ["red", "blue"] } };

  it("resolves auth.* at compile time and binds it as a value", () => {
    const where = compileFilter(parseRule("doc.owner == auth.id"), { column: "d.data", auth: alice });
    expect(where.params).toEqual(["u1"]);
    expect(where.sql).not.toContain("u1");
  });

  it("folds comparisons between constants to 1 or 0", () => {
    expect(compileFilter(parseRule('auth.role == "member"'), { column: "d.data", auth: alice }).sql).toBe("1");
    expect(compileFilter(parseRule('auth.role == "admin"'), { column: "d.data", auth: alice }).sql).toBe("0");
    expect(compileFilter(parseRule("data.title != null"), { column: "d.data", data: { title: "x" } }).sql).toBe(
      "(NOT 0)",
    );
  });

  it("keeps nothing for an anonymous caller under an owner rule", async () => {
    const rule = parseRule("auth.id != null && doc.v == auth.id");
    expect(await kept(rule, ANONYMOUS)).toEqual([]);
    expect(await kept(rule, { ...alice, id: "Alice" })).toEqual(["alice"]);
    expect(await kept(parseRule("doc.v in auth.claims.teams || doc.v contains auth.claims.team"), alice)).toEqual([]);
    expect(await kept(parseRule('doc.v == data.v && auth.kind == "user"'), alice, { v: 18 })).toEqual(["num18"]);
  });

  it("maps a verified caller to auth values", () => {
    expect(authValues(null)).toEqual(ANONYMOUS);
    expect(
      authValues({
        kind: "user",
        userId: "u1",
        role: "admin",
        claims: { team: "red" },
      }),
    ).toEqual({ id: "u1", role: "admin", kind: "user", claims: { team: "red" } });
  });
});

describe("compileFilter: parameterized SQL only", () => {
  const hostile = [
    "'; DROP TABLE sem_docs; --",
    '" OR 1=1 --',
    "') OR ('1'='1",
    "%",
    "_",
    "\\",
    "$.w[0]",
    "json_extract(d.data, '$.zz')",
    "😀'||'",
  ];

  it("never puts a value into the SQL text, and the only quoted SQL literals are paths and type names", () => {
    const allowed = /^'(\$(\.[A-Za-z_][A-Za-z0-9_]*)*|null|true|false|integer|real|text|array|object)'$/;
    for (const value of hostile) {
      const literal = JSON.stringify(value);
      for (const text of [
        `v == ${literal}`,
        `v contains ${literal}`,
        `v endswith ${literal}`,
        `v in [${literal}, 1, 2]`,
        `v.city < ${literal}`,
      ]) {
        const { sql, params } = compileFilter(parseExpression(text), { column: "d.data" });
        // (One-character values such as "_" occur in any SQL; the quoted-literal check covers them.)
        if (value.length > 1) expect(sql, text).not.toContain(value);
        for (const quoted of sql.match(/'[^']*'/g) ?? []) expect(quoted, text).toMatch(allowed);
        expect(params.length, text).toBeGreaterThan(0);
        if (text.startsWith("v ==")) expect(params, text).toContain(value);
      }
    }
  });

  it("runs hostile values as plain data against D1", async () => {
    for (const value of hostile) {
      expect(
        await kept(parseExpression(`v == ${JSON.stringify(value)} || v contains ${JSON.stringify(value)}`)),
      ).toEqual([]);
    }
    const { results } = await env.DB.prepare("SELECT count(*) AS n FROM sem_docs").all<{ n: number }>();
    expect(results[0]?.n).toBe(ALL.length);
  });

  it("refuses a hand-built AST with an invalid field segment, and a bad column expression", () => {
    const bad: FilterNode = {
      kind: "compare",
      op: "eq",
      left: { kind: "field", root: "doc", path: ["a'b"] },
      right: { kind: "literal", value: 1 },
    };
    expect(() => compileFilter(bad, { column: "d.data" })).toThrow(/Invalid field segment/);
    expect(() => compileFilter(parseExpression("a = 1"), { column: "d.data; DROP" })).toThrow(/invalid column/);
  });

  it(`stays within D1's bound-parameter limit: ${MAX_SQL_PARAMS} by default, with a clear error`, () => {
    const long = Array.from({ length: 98 }, (_, i) => `"s${i}"`).join(", ");
    // A long in-list travels as one JSON parameter per type.
    expect(compileFilter(parseExpression(`v in [${long}, 1, 2]`), { column: "d.data" }).params).toHaveLength(2);
    const many = Array.from({ length: 61 }, (_, i) => `v == ${i}`).join(" || ");
    let error: unknown;
    try {
      compileFilter(parseExpression(many), { column: "d.data" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("invalid_filter");
    expect((error as ApiError).details).toMatchObject({ params: 61, max_params: MAX_SQL_PARAMS });
    expect(compileFilter(parseExpression(many), { column: "d.data", maxParams: 61 }).params).toHaveLength(61);
  });

  it("is never SQL NULL, so NOT works on missing fields", async () => {
    const where = compileFilter(parseExpression('v > 1 || v contains "x" || v.x == 1'), { column: "d.data" });
    const { results } = await env.DB.prepare(`SELECT (${where.sql}) AS m FROM sem_docs d`)
      .bind(...where.params)
      .all<{ m: unknown }>();
    for (const row of results) expect([0, 1]).toContain(row.m);
  });
});

describe("sorting", () => {
  it("parses sort specs and rejects bad ones with a position", () => {
    expect(parseSort("-age,profile.city")).toEqual([
      { path: ["age"], desc: true },
      { path: ["profile", "city"], desc: false },
    ]);
    expect(parseSort("created_at", "desc")).toEqual([{ path: ["created_at"], desc: true }]);
    expect(parseSort("+a, -b")).toEqual([
      { path: ["a"], desc: false },
      { path: ["b"], desc: true },
    ]);
    expect(parseSort("")).toEqual([]);
    let error: unknown;
    try {
      parseSort("age,name;drop");
    } catch (caught) {
      error = caught;
    }
    expect((error as ApiError).details).toEqual({ param: "sort", position: 4 });
    expect(() => parseSort("a,b,c,d,e,f")).toThrow(/At most 5 sort keys/);
  });

  it("orders mixed types null < false < true < numbers < strings < arrays < objects, in SQL and in memory", async () => {
    const keys = parseSort("v");
    const order = compileOrderBy(keys, { column: "d.data" });
    const { results } = await env.DB.prepare(`SELECT id FROM sem_docs d ORDER BY ${order}, d.id`).all<{ id: string }>();
    const memory = Object.keys(DOCS).sort((a, b) => compareForSort(DOCS[a], DOCS[b], keys) || (a < b ? -1 : 1));
    const ids = results.map((r) => r.id);
    expect(ids.slice(0, 13)).toEqual([
      "missing",
      "nul",
      "f",
      "t",
      "zero",
      "one",
      "num18",
      "float",
      "empty",
      "str18",
      "alice",
      "lower",
      "private",
    ]);
    expect(ids.slice(0, 15)).toEqual(memory.slice(0, 15));
    expect(ids[13]).toBe("emoji");
    expect(ids[14]).toBe("list");
  });

  it("uses the caller's metadata columns for their names", () => {
    expect(
      compileOrderBy(parseSort("-created_at"), { column: "d.data", metaColumns: { created_at: "d.created_at" } }),
    ).toBe("d.created_at DESC");
  });
});

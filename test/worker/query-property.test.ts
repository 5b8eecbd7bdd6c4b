import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuthValues, CompareOp, FilterNode, Operand, Scalar, SortKey } from "../../core/query";
import {
  and,
  compareForSort,
  formatFilter,
  matches,
  not,
  or,
  parseExpression,
  parseQueryParams,
} from "../../core/query";
import { resolvePath } from "../../core/query/values";
import { compileFilter, compileOrderBy } from "../../data/query";

/*
 * The SQL compiler and the in-memory matcher must agree on every document, types included. This
 * file generates random documents and random filters, stores the documents in a real D1 table,
 * and compares, for every (filter, document) pair, the SQL expression's value on the row (which
 * must be exactly 0 or 1, never NULL) with `matches`. The generators are seeded, so a failure
 * reproduces; the assertion message shows the filter, the document and both answers.
 */

const DOCS = 250;
const FILTERS = 1200;
const PARAM_FILTERS = 300;
const CONCAT_FILTERS = 400;
const BATCH = 60;

/** mulberry32: small, fast, seedable. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const NUMBERS = [
  0,
  1,
  -1,
  2,
  18,
  17.5,
  -0.5,
  0.1,
  0.30000000000000004,
  Math.PI,
  100,
  1e21,
  -1e-7,
  2 ** 53 - 1,
  -(2 ** 31),
  1.5,
  1e300,
];
const STRINGS = [
  "",
  "1",
  "18",
  "0",
  "-1",
  "1.5",
  "a",
  "A",
  "al",
  "Alice",
  "alice",
  "b",
  "abc",
  "bc",
  "é",
  "É",
  "😀",
  "a😀",
  "\uE000",
  "\uFFFF",
  "true",
  "false",
  "null",
  " ",
  "a b",
  "Z",
  "zz",
  "a,b",
  "x'y",
  'q"uote',
  "\\",
  "%",
  "_",
];
const ALPHABET = ["a", "b", "A", "1", "é", "😀", " ", "\uE000", "\uFFFF", "_", "%", "'", "0"];

function scalar(r: Rng): Scalar {
  switch (r.int(9)) {
    case 0:
    case 1:
      return r.pick(NUMBERS);
    case 2:
      return r.int(41) - 20;
    case 3:
      return (r.next() - 0.5) * 10 ** r.int(6);
    case 4:
    case 5:
      return r.pick(STRINGS);
    case 6: {
      let s = "";
      for (let i = r.int(5); i > 0; i--) s += r.pick(ALPHABET);
      return s;
    }
    case 7:
      return r.chance(0.5);
    default:
      return null;
  }
}

const TOP = ["a", "b", "n", "s", "tags", "profile", "flag"];
const NESTED = ["x", "y", "city"];

function value(r: Rng, depth: number): unknown {
  const roll = r.int(10);
  if (roll < 6 || depth > 1) return scalar(r);
  if (roll < 8) {
    const list: unknown[] = [];
    for (let i = r.int(4); i > 0; i--) list.push(r.chance(0.15) ? value(r, depth + 1) : scalar(r));
    return list;
  }
  const object: Record<string, unknown> = {};
  for (const key of NESTED) if (r.chance(0.6)) object[key] = value(r, depth + 1);
  return object;
}

function randomDoc(r: Rng): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const key of TOP) if (r.chance(0.7)) doc[key] = value(r, 0);
  return doc;
}

const PATHS: readonly string[][] = [
  ...TOP.map((k) => [k]),
  ...NESTED.map((k) => ["profile", k]),
  ["a", "x"],
  ["tags", "x"],
  ["s", "length"],
  ["profile", "x", "y"],
];
const OPS: readonly CompareOp[] = [
  "eq",
  "eq",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "contains",
  "contains",
  "startswith",
  "endswith",
];

function literalList(r: Rng): Scalar[] {
  const list: Scalar[] = [];
  for (let i = r.int(5); i > 0; i--) list.push(scalar(r));
  return list;
}

function operand(r: Rng, rule: boolean): Operand {
  if (rule && r.chance(0.3)) {
    return r.chance(0.5)
      ? {
          kind: "field",
          root: "auth",
          path: r.pick([["id"], ["role"], ["claims", "team"], ["claims", "tags"], ["nope"]]),
        }
      : { kind: "field", root: "data", path: r.pick(PATHS) };
  }
  return { kind: "field", root: "doc", path: r.pick(PATHS) };
}

/** A scalar some document holds at the operand's path (or inside the array there), so that
 * filters select real subsets instead of mostly nothing. */
function seen(r: Rng, at: Operand): Scalar {
  if (at.kind !== "field" || at.root !== "doc") return scalar(r);
  for (let tries = 0; tries < 5; tries++) {
    let v = resolvePath(r.pick(docs).data, at.path);
    if (Array.isArray(v) && v.length > 0) v = r.pick(v);
    if (v === null || typeof v !== "object") return (v ?? null) as Scalar;
  }
  return scalar(r);
}

/** Chance that a comparison gets a `+` concatenation on one side (0 keeps the older tests'
 * random streams exactly as they were). */
let concatChance = 0;

const CONCAT_STRINGS = ["", "/", "u1", "u1/", "a", "é", "😀", "x'y", ...STRINGS.slice(0, 8)];

/** `"users/" + auth.id + "/"` and friends: string literals and fields of every root. */
function concatOperand(r: Rng, rule: boolean): Operand {
  const parts: Exclude<Operand, { kind: "concat" }>[] = [];
  for (let i = 2 + r.int(3); i > 0; i--) {
    const roll = r.next();
    if (roll < 0.45) parts.push({ kind: "literal", value: r.pick(CONCAT_STRINGS) });
    else parts.push(operand(r, rule) as Exclude<Operand, { kind: "concat" }>);
  }
  return { kind: "concat", parts };
}

function compare(r: Rng, rule: boolean): FilterNode {
  const op = r.pick(OPS);
  let left = operand(r, rule);
  let right: Operand;
  const roll = r.next();
  if (roll < 0.15) right = operand(r, rule);
  else if (op === "in")
    right = { kind: "literal", value: [...literalList(r), ...(r.chance(0.5) ? [seen(r, left)] : [])] };
  else right = { kind: "literal", value: roll < 0.55 ? seen(r, left) : scalar(r) };
  // Sometimes the literal on the left: `18 < age`, `"x" in tags`.
  if (op !== "in" && right.kind === "literal" && r.chance(0.1)) [left, right] = [right, left];
  if (op === "in" && r.chance(0.1)) left = { kind: "literal", value: scalar(r) };
  if (concatChance > 0 && r.chance(concatChance)) {
    if (r.chance(0.7)) right = concatOperand(r, rule);
    else left = concatOperand(r, rule);
  }
  const node: FilterNode = { kind: "compare", op, left, right };
  return r.chance(0.2) ? not(node) : node;
}

function filter(r: Rng, depth: number, rule: boolean): FilterNode {
  const roll = r.int(10);
  if (depth >= 3 || roll < 5) return compare(r, rule);
  if (roll === 9) return not(filter(r, depth + 1, rule));
  const children: FilterNode[] = [];
  for (let i = 2 + r.int(2); i > 0; i--) children.push(filter(r, depth + 1, rule));
  return roll < 7 ? and(...children) : or(...children);
}

const PARAM_KEYS = ["a", "b", "n", "s", "tags", "profile.x", "profile.city", "flag", "a__or__s", "n__or__profile.x"];
const PARAM_OPS = [
  "",
  "_eq",
  "_ne",
  "_gt",
  "_gte",
  "_lt",
  "_lte",
  "_contains",
  "_startswith",
  "_endswith",
  "_in",
  "_notin",
  "_isnull",
];

function paramText(r: Rng, op: string): string {
  if (op === "_isnull") return r.pick(["true", "false"]);
  const one = () => {
    const s = scalar(r);
    return s === null ? "null" : String(s);
  };
  if (op === "_in" || op === "_notin") return Array.from({ length: 1 + r.int(3) }, one).join(",");
  return one();
}

function paramFilter(r: Rng): URLSearchParams {
  const params = new URLSearchParams();
  for (let i = 1 + r.int(3); i > 0; i--) {
    const prefix = r.pick(["", "", "", "[or]", "[or:g1]", "[or:g2]"]);
    const op = r.pick(PARAM_OPS);
    params.append(prefix + r.pick(PARAM_KEYS) + op, paramText(r, op));
  }
  return params;
}

function randomAuth(r: Rng): AuthValues {
  return {
    id: r.pick([null, "u1", "u2", "1"]),
    role: r.pick([null, "admin", "member"]),
    kind: r.pick([null, "user", "public"]),
    claims: r.chance(0.5) ? { team: scalar(r), tags: literalList(r) } : {},
  };
}

interface Case {
  node: FilterNode;
  label: string;
  auth: AuthValues | null;
  data: unknown;
}

const seed = 20_260_101;
const docs: { id: string; data: Record<string, unknown> }[] = [];

beforeAll(async () => {
  const r = rng(seed);
  for (let i = 0; i < DOCS; i++) docs.push({ id: `d${String(i).padStart(4, "0")}`, data: randomDoc(r) });
  // A few fixed documents so the tricky cases are always present.
  docs.push({ id: "fixed1", data: { a: true, b: 1, n: "1", s: "", tags: [true, 1, "1", null], flag: false } });
  docs.push({
    id: "fixed2",
    data: { a: 0, b: false, n: null, s: "😀\uE000", tags: [[1], { x: 1 }], profile: { x: null } },
  });
  docs.push({ id: "fixed3", data: { a: [], b: {}, tags: "a,b", profile: "x" } });
  docs.push({ id: "fixed4", data: {} });
  docs.push({ id: "fixed5", data: { s: "u1/a", n: "u1", a: "u1/", b: "a", tags: ["u1/", "a"] } });
  await env.DB.prepare("CREATE TABLE IF NOT EXISTS prop_docs (id TEXT PRIMARY KEY, data TEXT NOT NULL)").run();
  await env.DB.prepare("DELETE FROM prop_docs").run();
  const insert = env.DB.prepare("INSERT INTO prop_docs (id, data) VALUES (?, ?)");
  for (let i = 0; i < docs.length; i += 100) {
    await env.DB.batch(docs.slice(i, i + 100).map((d) => insert.bind(d.id, JSON.stringify(d.data))));
  }
});

/** Runs every case's SQL over the whole table and compares row by row with the matcher. */
async function compareAll(cases: Case[], minDiscriminating = 0.3): Promise<number> {
  let pairs = 0;
  // Filters that keep some documents and drop others: the ones that can tell backends apart.
  let discriminating = 0;
  for (let start = 0; start < cases.length; start += BATCH) {
    const chunk = cases.slice(start, start + BATCH);
    const statements = chunk.map((c) => {
      const where = compileFilter(c.node, { column: "d.data", auth: c.auth, data: c.data, maxParams: 1000 });
      return env.DB.prepare(`SELECT d.id AS id, (${where.sql}) AS m FROM prop_docs d ORDER BY d.id`).bind(
        ...where.params,
      );
    });
    const results = await env.DB.batch<{ id: string; m: unknown }>(statements);
    chunk.forEach((c, i) => {
      const rows = (results[i] as D1Result<{ id: string; m: unknown }>).results;
      expect(rows.length).toBe(docs.length);
      const byId = new Map(rows.map((row) => [row.id, row.m]));
      let kept = 0;
      for (const doc of docs) {
        const expected = matches(c.node, { doc: doc.data, auth: c.auth, data: c.data }) ? 1 : 0;
        const actual = byId.get(doc.id);
        if (actual !== expected) {
          expect.fail(
            `SQL and matcher disagree (seed ${seed}).\nfilter: ${c.label}\ndocument: ${JSON.stringify(doc.data)}\n` +
              `auth: ${JSON.stringify(c.auth)} data: ${JSON.stringify(c.data)}\nSQL gave ${String(actual)}, matcher gave ${expected}`,
          );
        }
        pairs++;
        kept += expected;
      }
      if (kept > 0 && kept < docs.length) discriminating++;
    });
  }
  expect(discriminating / cases.length).toBeGreaterThan(minDiscriminating);
  return pairs;
}

describe("filter backends agree (property)", () => {
  it(`random expression filters: ${FILTERS} filters x ${DOCS + 4} documents`, async () => {
    const r = rng(seed + 1);
    const cases: Case[] = [];
    for (let i = 0; i < FILTERS; i++) {
      const rule = i % 3 === 0;
      const node = filter(r, 0, rule);
      // Every generated filter also goes through the expression syntax and must come back equal.
      const text = formatFilter(node, rule ? "rule" : "filter");
      expect(parseExpression(text, { scope: rule ? "rule" : "filter" }), text).toEqual(node);
      cases.push({ node, label: text, auth: rule ? randomAuth(r) : null, data: rule ? randomDoc(r) : undefined });
    }
    expect(await compareAll(cases)).toBeGreaterThanOrEqual(10_000);
  }, 120_000);

  it(`random filters with + concatenations: ${CONCAT_FILTERS} filters`, async () => {
    const r = rng(seed + 3);
    const cases: Case[] = [];
    concatChance = 0.35;
    try {
      for (let i = 0; i < CONCAT_FILTERS; i++) {
        const rule = i % 2 === 0;
        const node = filter(r, 0, rule);
        const text = formatFilter(node, rule ? "rule" : "filter");
        expect(parseExpression(text, { scope: rule ? "rule" : "filter" }), text).toEqual(node);
        cases.push({ node, label: text, auth: rule ? randomAuth(r) : null, data: rule ? randomDoc(r) : undefined });
      }
    } finally {
      concatChance = 0;
    }
    // A concatenation over a missing part is null, so these filters are constant more often.
    expect(await compareAll(cases, 0.2)).toBeGreaterThanOrEqual(10_000);
  }, 120_000);

  it(`random query-parameter filters: ${PARAM_FILTERS} filters`, async () => {
    const r = rng(seed + 2);
    const cases: Case[] = [];
    for (let i = 0; i < PARAM_FILTERS; i++) {
      const params = paramFilter(r);
      cases.push({ node: parseQueryParams(params), label: `?${params}`, auth: null, data: undefined });
    }
    expect(await compareAll(cases)).toBeGreaterThanOrEqual(10_000);
  }, 120_000);

  it("sorting orders mixed types the same way in SQL and in memory", async () => {
    const specs: SortKey[][] = [
      [{ path: ["a"], desc: false }],
      [{ path: ["a"], desc: true }],
      [
        { path: ["n"], desc: false },
        { path: ["s"], desc: true },
      ],
      [{ path: ["profile", "x"], desc: false }],
      [
        { path: ["flag"], desc: true },
        { path: ["b"], desc: false },
      ],
    ];
    for (const keys of specs) {
      const { results } = await env.DB.prepare(
        `SELECT id FROM prop_docs d ORDER BY ${compileOrderBy(keys, { column: "d.data" })}, d.id`,
      ).all<{ id: string }>();
      // Arrays and objects tie with each other here: SQLite orders them by its own JSON text.
      const scalarOnly = (d: { data: Record<string, unknown> }) =>
        keys.every((k) => {
          const v = k.path.reduce<unknown>(
            (o, s) => (o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>)[s] : undefined),
            d.data,
          );
          return v === null || typeof v !== "object";
        });
      const expected = [...docs]
        .sort((x, y) => compareForSort(x.data, y.data, keys) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
        .filter(scalarOnly)
        .map((d) => d.id);
      const keep = new Set(expected);
      expect(results.map((row) => row.id).filter((id) => keep.has(id))).toEqual(expected);
    }
  });
});

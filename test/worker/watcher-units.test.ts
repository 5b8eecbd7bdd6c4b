import { describe, expect, it } from "vitest";
import type { Change } from "../../core/documents/wire";
import { formatFilter, matches, parseExpression, parseQueryParams } from "../../core/query";
import { audienceOf } from "../../durable-objects/watcher/watcher-attachment";
import { equalityKeys, valueKey } from "../../durable-objects/watcher/watcher-equality";
import { ChangeEvents, classify, watchRules } from "../../durable-objects/watcher/watcher-events";
import {
  type FilterRef,
  type Subscriber,
  SubscriptionIndex,
} from "../../durable-objects/watcher/watcher-subscriptions";

const filter = (text: string): FilterRef => {
  const node = parseExpression(text);
  return { key: formatFilter(node), node };
};

const secret = { key: "*", auth: { id: null, role: null, kind: "secret", claims: {} }, bypass: true };

function subscriber(ref: FilterRef, audience = secret): Subscriber {
  const expiresAt = Number.POSITIVE_INFINITY;
  return { ws: {} as WebSocket, filter: ref, audience, expiresAt, state: "live", cursor: 0, run: 0, waiters: [] };
}

/** A small random filter over fields a, b, c (equalities, in-lists, ranges, and/or/not). */
function randomFilter(random: () => number): string {
  const field = () => ["a", "b", "c"][Math.floor(random() * 3)];
  const value = () => [1, 2, "1", "x", true, null][Math.floor(random() * 6)];
  const literal = (v: unknown) => JSON.stringify(v);
  const leaf = () => {
    const r = random();
    if (r < 0.4) return `${field()} == ${literal(value())}`;
    if (r < 0.6) return `${field()} in [${literal(value())}, ${literal(value())}]`;
    if (r < 0.8) return `${field()} > 1`;
    return `${field()} != ${literal(value())}`;
  };
  const node = (depth: number): string => {
    if (depth === 0 || random() < 0.4) return leaf();
    const op = random() < 0.5 ? " && " : " || ";
    return `(${node(depth - 1)}${op}${node(depth - 1)})`;
  };
  return node(2);
}

function randomDoc(random: () => number): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const key of ["a", "b", "c"]) {
    const r = random();
    if (r < 0.85) doc[key] = [1, 2, "1", "x", true, false, null, [1], { x: 1 }][Math.floor(random() * 9)];
  }
  return doc;
}

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let t = seed;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe("watcher matching units", () => {
  it("keys values by typed equality", () => {
    expect([valueKey(1), valueKey("1"), valueKey(true), valueKey(null), valueKey(undefined)]).toEqual([
      "d1",
      "s1",
      "t",
      "n",
      "n",
    ]);
    expect(valueKey(-0)).toBe(valueKey(0));
    expect(valueKey([1])).toBeNull();
    expect(valueKey({ a: 1 })).toBeNull();
  });

  it("finds the equality a filter implies, or none", () => {
    const keys = (text: string) => equalityKeys(parseExpression(text));
    expect(keys('status == "open"')).toEqual({ path: ["status"], keys: ["sopen"] });
    expect(keys('profile.city == "Lagos" && age > 3')).toEqual({ path: ["profile", "city"], keys: ["sLagos"] });
    expect(keys('kind in ["a", "b"] && owner == "x"')).toEqual({ path: ["owner"], keys: ["sx"] });
    expect(keys('kind == "a" || kind == "b"')).toEqual({ path: ["kind"], keys: ["sa", "sb"] });
    expect(keys('kind == "a" || owner == "b"')).toBeNull();
    expect(keys('status != "open"')).toBeNull();
    expect(keys("age > 3")).toBeNull();
    // The query-parameter syntax reads `n=5` as "5" or 5: both keys.
    expect(equalityKeys(parseQueryParams(new URLSearchParams("n=5")))).toEqual({ path: ["n"], keys: ["s5", "d5"] });
  });

  it("never leaves out a filter that matches (random filters and documents)", () => {
    const random = seeded(42);
    const index = new SubscriptionIndex();
    const refs = Array.from({ length: 200 }, () => filter(randomFilter(random)));
    for (const ref of refs) index.add(subscriber(ref));
    const missed: string[] = [];
    let skipped = 0;
    for (let i = 0; i < 1000; i++) {
      const before = random() < 0.2 ? null : randomDoc(random);
      const after = random() < 0.2 ? null : randomDoc(random);
      const candidates = new Set([...index.candidates(before, after)].map((group) => group.filter.key));
      for (const ref of refs) {
        const hit =
          (before !== null && matches(ref.node, { doc: before })) ||
          (after !== null && matches(ref.node, { doc: after }));
        if (hit && !candidates.has(ref.key)) missed.push(`${ref.key} on ${JSON.stringify([before, after])}`);
        if (!hit && !candidates.has(ref.key)) skipped++;
      }
    }
    expect(missed).toEqual([]);
    // And the index does skip work: many non-matching filters are never evaluated.
    expect(skipped).toBeGreaterThan(1000 * 30);
  });

  it("evaluates a change against a handful of groups, not against every subscriber", () => {
    const index = new SubscriptionIndex();
    for (let i = 0; i < 1000; i++) index.add(subscriber(filter(`owner == "u${i}"`)));
    // Identical filters share one group however many subscribe.
    for (let i = 0; i < 50; i++) index.add(subscriber(filter('owner == "u7"')));
    expect(index.size).toBe(1050);
    expect(index.groupCount).toBe(1000);
    const candidates = [...index.candidates({ owner: "u7" }, { owner: "u8" })];
    expect(candidates.map((group) => group.filter.key).sort()).toEqual(['owner == "u7"', 'owner == "u8"']);
    const [u7] = candidates;
    expect([...(u7?.audiences.values() ?? [])].reduce((n, audience) => n + audience.members.size, 0)).toBe(51);
  });

  it("classifies a change by visibility before and after", () => {
    expect(classify("create", false, true)).toBe("create");
    expect(classify("create", false, false)).toBeNull();
    expect(classify("update", true, true)).toBe("update");
    expect(classify("update", false, true)).toBe("enter");
    expect(classify("update", true, false)).toBe("leave");
    expect(classify("update", false, false)).toBeNull();
    expect(classify("delete", true, false)).toBe("delete");
    expect(classify("delete", false, false)).toBeNull();
  });

  it("serializes each event once and never shows a leave's new data", () => {
    const change: Change = {
      seq: 9,
      op: "update",
      id: "d1",
      data: { owner: "bob", secret: "s" },
      old_data: { owner: "ann" },
      created_at: "2026-01-01T00:00:00.000Z",
    };
    const rules = watchRules({ read: "doc.owner == auth.id" });
    const user = (id: string) =>
      audienceOf(
        { v: 1, cid: "c", client: id, user: id, kind: "user", ops: 1, exp: null, at: 0, pres: null },
        { f: null, r: null, c: {}, l: 1 },
      );
    const events = new ChangeEvents(change, rules);
    const all = filter("true");
    const ann = events.eventFor(all, user("ann"));
    expect(JSON.parse(ann as string)).toEqual({
      seq: 9,
      event: "leave",
      id: "d1",
      data: null,
      old_data: { owner: "ann" },
      timestamp: Date.parse("2026-01-01T00:00:00.000Z"),
    });
    expect(JSON.parse(events.eventFor(all, user("bob")) as string)).toMatchObject({ event: "enter", old_data: null });
    expect(events.eventFor(all, user("cy"))).toBeNull();
    expect(events.eventFor(all, secret)).toBe(events.eventFor(filter("owner != null"), secret));
  });
});

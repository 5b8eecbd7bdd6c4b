// `null` in a filter object, through the SDK against the real worker: equality with null becomes
// the `_isnull` parameter, and null with an operator that cannot compare with it is refused before
// any request, instead of the key being dropped (which silently widened the query).
import { beforeAll, describe, expect, it } from "vitest";
import type { Collection } from "../../sdk/index";
import { createTestProject, rejection } from "./helpers";

interface Item {
  name: string;
  nickname?: string | null;
  score?: number;
}

const ITEMS: { id: string; data: Item }[] = [
  { id: "a", data: { name: "A", nickname: "ay", score: 1 } },
  { id: "b", data: { name: "B", nickname: null, score: 2 } },
  { id: "c", data: { name: "C", score: 3 } },
  { id: "d", data: { name: "D", nickname: "dee" } },
];

const ids = (docs: { id: string }[]) => docs.map((doc) => doc.id);

describe("collection filters with null values", () => {
  let items: Collection<Item>;

  beforeAll(async () => {
    const { secretClient } = await createTestProject();
    items = secretClient.collection<Item>("items");
    await items.batch(ITEMS.map(({ id, data }) => ({ op: "create", id, data })));
  });

  it("a bare key or _eq with null keeps null and missing; _ne with null keeps the others", async () => {
    expect(ids((await items.list({ filter: { nickname: null }, sort: "id" })).items)).toEqual(["b", "c"]);
    expect(ids((await items.list({ filter: { nickname_eq: null }, sort: "id" })).items)).toEqual(["b", "c"]);
    expect(ids((await items.list({ filter: { nickname_ne: null }, sort: "id" })).items)).toEqual(["a", "d"]);
    expect(await items.count({ nickname_ne: null, "[or]score_gte": 3, "[or]name": "A" })).toBe(1);
  });

  it("null with an ordering or list operator rejects with a TypeError instead of being left out", async () => {
    for (const filter of [{ score_gt: null }, { nickname_in: null }, { nickname_contains: null }]) {
      const listed = await rejection(() => items.list({ filter }));
      expect(listed, JSON.stringify(filter)).toBeInstanceOf(TypeError);
      expect(String((listed as TypeError).message)).toContain("cannot take null");
      expect(await rejection(() => items.count(filter))).toBeInstanceOf(TypeError);
      expect(await rejection(() => items.aggregate({ operation: "count", filter }))).toBeInstanceOf(TypeError);
    }
  });
});

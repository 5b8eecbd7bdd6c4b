import { describe, expect, it } from "vitest";
import { parseSort } from "../../core/query";
import { decodeCursor, encodeCursor } from "../../data/documents/cursor";
import { orderByClause, sortTerms } from "../../data/documents/sort-terms";
import { compileOrderBy } from "../../data/query";

describe("sort terms", () => {
  it("are exactly the terms of the filter language's compileOrderBy", () => {
    for (const spec of ["age", "-age", "profile.city,-score", "-created_at,name", "id", "a,-b,c.d,-updated_at,e"]) {
      const keys = parseSort(spec);
      const ours = orderByClause(sortTerms(keys));
      const theirs = compileOrderBy(keys, {
        column: "d.data",
        metaColumns: { id: "d.id", created_at: "d.created_at", updated_at: "d.updated_at" },
      });
      expect(ours, spec).toBe(`${theirs}, d.id ASC`);
    }
  });

  it("round-trip through cursors, which are refused under another sort", () => {
    const cursor = { sort: "-age", values: [3, 42, null, "é"], id: "x" };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text, "-age", 4)).toEqual(cursor);
    expect(() => decodeCursor(text, "age", 4)).toThrow(/cursor/);
    expect(() => decodeCursor(text, "-age", 2)).toThrow(/cursor/);
  });
});

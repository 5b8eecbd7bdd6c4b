import type { SortKey } from "../core/query/ast.js";
// The server's own ordering code (dependency-free), so a live query sorts exactly as `list` does.
import { compareForSort } from "../core/query/sort-order.js";
import { compareStrings } from "../core/query/values.js";

export type SortSpec = readonly SortKey[];

/** Reads `"-score,name"` or `["-score", "name"]` (paths in `data`, `-` for descending). */
export function parseSortSpec(sort: string | readonly string[] | undefined): SortSpec {
  const parts = sort === undefined ? [] : typeof sort === "string" ? sort.split(",") : sort;
  return parts
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => ({ path: part.replace(/^[-+]/, "").split("."), desc: part.startsWith("-") }));
}

/**
 * Negative when `a` sorts before `b`: by each key in turn (types ordered missing/null < false <
 * true < numbers < strings < arrays < objects), then by id, as the server's `sort`.
 */
export function compareDocuments(a: { id: string; data: unknown }, b: { id: string; data: unknown }, sort: SortSpec) {
  return compareForSort(a.data, b.data, sort) || compareStrings(a.id, b.id);
}

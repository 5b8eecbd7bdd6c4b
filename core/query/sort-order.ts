import type { SortKey } from "./ast.js";
import { compareStrings, resolvePath } from "./values.js";

/**
 * The same order in memory (for watchers, the SDK's live queries and tests): negative when `a`
 * sorts before `b`, 0 when the keys tie. Arrays and objects compare by their JSON text. This file
 * depends on nothing but values.ts, so the browser SDK bundles this very code rather than a copy.
 */
export function compareForSort(a: unknown, b: unknown, keys: readonly SortKey[]): number {
  for (const key of keys) {
    const diff = compareSortValues(resolvePath(a, key.path), resolvePath(b, key.path));
    if (diff !== 0) return key.desc ? -diff : diff;
  }
  return 0;
}

function rank(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (value === false) return 1;
  if (value === true) return 2;
  if (typeof value === "number") return 3;
  if (typeof value === "string") return 4;
  return Array.isArray(value) ? 5 : 6;
}

function compareSortValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 3) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ra === 4) return Math.sign(compareStrings(a as string, b as string));
  if (ra >= 5) return Math.sign(compareStrings(JSON.stringify(a), JSON.stringify(b)));
  return 0;
}

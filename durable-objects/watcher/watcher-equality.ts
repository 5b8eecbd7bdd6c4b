import type { FilterNode, Operand } from "../../core/query";

/**
 * Equality keys: what lets the watcher skip a filter without evaluating it. A filter that can only
 * match documents whose field `path` holds one of a few scalar values (`status == "open"`,
 * `owner in ["a", "b"]`, `status == "open" && n > 3`, `kind == "a" || kind == "b"`) is indexed
 * under those values; a change is checked only against filters indexed under the values its old
 * and new document hold (plus the filters that have no such key).
 *
 * Keys follow the matcher's typed equality (worker/query/values.ts `valuesEqual`): a number never
 * equals a string, `true` never equals 1, null equals missing, arrays and objects equal nothing.
 */
export interface EqualityKeys {
  /** The field path, in the document. */
  readonly path: readonly string[];
  /** The keys ({@link valueKey}) of the values the field must hold for the filter to match. */
  readonly keys: readonly string[];
}

/**
 * The key of a field value under typed equality, or null for an array or object (which equals no
 * literal, so no indexed filter can match it through that field).
 */
export function valueKey(value: unknown): string | null {
  if (value === null || value === undefined) return "n";
  switch (typeof value) {
    case "string":
      return `s${value}`;
    case "number":
      // `-0 === 0` in the matcher, and String(-0) is "0".
      return `d${String(value)}`;
    case "boolean":
      return value ? "t" : "f";
    default:
      return null;
  }
}

/**
 * The equality keys of a filter: a necessary condition "field `path` holds one of `keys`" implied
 * by the filter, or null when there is none (the filter is then checked on every change).
 */
export function equalityKeys(node: FilterNode): EqualityKeys | null {
  switch (node.kind) {
    case "compare":
      return compareKeys(node.op, node.left, node.right);
    case "and": {
      // Any child's condition is implied by the whole; the one with the fewest keys is the most selective.
      let best: EqualityKeys | null = null;
      for (const child of node.children) {
        const keys = equalityKeys(child);
        if (keys && (!best || keys.keys.length < best.keys.length)) best = keys;
      }
      return best;
    }
    case "or": {
      // Implied only when every branch constrains the same field: then the keys add up.
      let path: readonly string[] | null = null;
      const keys = new Set<string>();
      for (const child of node.children) {
        const branch = equalityKeys(child);
        if (!branch) return null;
        if (path && !samePath(path, branch.path)) return null;
        path = branch.path;
        for (const key of branch.keys) keys.add(key);
      }
      return path ? { path, keys: [...keys] } : null;
    }
    default:
      return null;
  }
}

function compareKeys(op: string, left: Operand, right: Operand): EqualityKeys | null {
  if (op === "eq") {
    const [field, literal] = left.kind === "field" ? [left, right] : [right, left];
    if (field.kind !== "field" || field.root !== "doc" || literal.kind !== "literal") return null;
    if (Array.isArray(literal.value)) return null;
    const key = valueKey(literal.value);
    return key === null ? null : { path: field.path, keys: [key] };
  }
  if (op === "in" && left.kind === "field" && left.root === "doc" && right.kind === "literal") {
    if (!Array.isArray(right.value)) return null;
    const keys = new Set<string>();
    for (const item of right.value) {
      const key = valueKey(item);
      if (key !== null) keys.add(key);
    }
    return { path: left.path, keys: [...keys] };
  }
  return null;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}

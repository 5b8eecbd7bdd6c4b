import { z } from "zod";
import type {
  FieldOperator as WireFieldOperator,
  FieldOperators as WireFieldOperators,
} from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import { FIELD_SEGMENT, MAX_PATH_SEGMENTS } from "../../core/query";
import type { DocumentData } from "./document";

/** A dotted path of identifier segments (`stats.views`), as in filters. */
export const FieldPath = z
  .string()
  .max(512)
  .refine((path) => {
    const segments = path.split(".");
    return segments.length <= MAX_PATH_SEGMENTS && segments.every((segment) => FIELD_SEGMENT.test(segment));
  }, `field paths are dotted names of letters, digits and _ (at most ${MAX_PATH_SEGMENTS} segments)`);

const JsonValues = z.array(z.json()).min(1).max(100);

/**
 * One field operator. Operators run on the server against the document as stored when the write
 * commits (a conflicting concurrent write makes the server re-read and re-apply), so concurrent
 * increments never lose an update.
 */
export const FieldOperator: z.ZodType<WireFieldOperator, unknown> = z.discriminatedUnion("type", [
  /** Adds `value` (may be negative) to a number; a missing field counts as 0. */
  z.object({ type: z.literal("increment"), value: z.number() }),
  /** Sets the field to the commit time (ISO-8601, the same instant as `updated_at`). */
  z.object({ type: z.literal("server_timestamp") }),
  /** Appends `values` to an array (created if missing); `unique` skips values already present. */
  z.object({ type: z.literal("array_append"), values: JsonValues, unique: z.boolean().default(false) }),
  /** Removes every element equal to one of `values`. */
  z.object({ type: z.literal("array_remove"), values: JsonValues }),
  /** Removes the field. */
  z.object({ type: z.literal("delete_field") }),
]);

export type FieldOperator = WireFieldOperator;

/** `{ "<path>": operator }`, at most 100 fields per write. */
export const FieldOperators = z
  .record(FieldPath, FieldOperator)
  .refine((ops) => Object.keys(ops).length <= 100, "at most 100 field operators per write");

export type FieldOperators = WireFieldOperators;

/**
 * Applies field operators to a copy of `data`, in key order, and returns the copy. Objects along
 * a path are created when missing.
 *
 * @throws {ApiError} `invalid_request` when an operator meets a value of the wrong type (an
 * increment on a string, an append to an object, a path through a non-object).
 */
export function applyFieldOperators(data: DocumentData, operators: FieldOperators, now: string): DocumentData {
  const result = structuredClone(data);
  for (const [path, operator] of Object.entries(operators)) {
    const segments = path.split(".");
    const parent = parentFor(result, segments, path, operator.type !== "delete_field");
    if (!parent) continue;
    const key = segments.at(-1) as string;
    const current = Object.hasOwn(parent, key) ? parent[key] : undefined;
    switch (operator.type) {
      case "increment": {
        if (current !== undefined && current !== null && typeof current !== "number") {
          throw wrongType(path, operator.type, "a number", current);
        }
        const next = ((current as number | null | undefined) ?? 0) + operator.value;
        if (!Number.isFinite(next)) throw new ApiError("invalid_request", `Incrementing "${path}" overflows.`);
        setOwn(parent, key, next);
        break;
      }
      case "server_timestamp":
        setOwn(parent, key, now);
        break;
      case "array_append": {
        const list = arrayAt(current, path, operator.type);
        const additions: unknown[] = [];
        for (const value of operator.values) {
          const present = [...list, ...additions].some((item) => jsonEqual(item, value));
          if (!operator.unique || !present) additions.push(value);
        }
        setOwn(parent, key, [...list, ...additions]);
        break;
      }
      case "array_remove": {
        const list = arrayAt(current, path, operator.type);
        setOwn(
          parent,
          key,
          list.filter((item) => !operator.values.some((value) => jsonEqual(item, value))),
        );
        break;
      }
      case "delete_field":
        delete parent[key];
        break;
    }
  }
  return result;
}

/** The object holding the last segment of `segments`, created along the way when `create`. */
function parentFor(root: DocumentData, segments: string[], path: string, create: boolean): DocumentData | null {
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (next === undefined || next === null) {
      if (!create) return null;
      const created: DocumentData = {};
      setOwn(node, segment, created);
      node = created;
    } else if (typeof next === "object" && !Array.isArray(next)) {
      node = next as DocumentData;
    } else {
      throw new ApiError("invalid_request", `Field operator on "${path}": "${segment}" is not an object.`, { path });
    }
  }
  return node;
}

/**
 * Sets an own property. Plain assignment would call the `__proto__` setter for a field named
 * `__proto__` (a valid identifier) and change the object's prototype instead of storing a field.
 */
function setOwn(target: DocumentData, key: string, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function arrayAt(value: unknown, path: string, type: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw wrongType(path, type, "an array", value);
  return value;
}

function wrongType(path: string, type: string, expected: string, actual: unknown) {
  const kind = Array.isArray(actual) ? "an array" : actual === null ? "null" : `a ${typeof actual}`;
  return new ApiError(
    "invalid_request",
    `Field operator ${type} on "${path}" needs ${expected}, the field holds ${kind}.`,
    {
      path,
      operator: type,
    },
  );
}

/** Deep equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as DocumentData)[k], (b as DocumentData)[k]))
  );
}

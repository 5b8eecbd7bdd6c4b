/**
 * Paths into a room's shared state and the two edits every change comes down to (put a value at
 * a path, remove what is at a path). Dependency-free on purpose: the room applies operations with
 * it, and the browser SDK imports it to apply the same deltas to its copy, so both sides agree.
 *
 * A path is dotted keys: `players.p1.score`. On an array, a key of digits is an index
 * (`items.0`); putting at index `length` appends, removing an index splices the element out.
 *
 * @module
 */

/** Deepest path accepted. */
export const MAX_PATH_DEPTH = 32;
/** Longest path accepted, in characters. */
export const MAX_PATH_LENGTH = 1024;
/** Longest key accepted. */
export const MAX_KEY_LENGTH = 128;

// Keys that would reach an object's prototype in JavaScript: never valid in a path.
const FORBIDDEN_KEYS = new Set(["__proto__", "prototype", "constructor"]);
const INDEX = /^(0|[1-9]\d{0,8})$/;

/** A JSON object (what the state and every container in it are, besides arrays). */
export type JsonObject = { [key: string]: unknown };

/** Thrown when a path or an edit does not fit the state (the message says why). */
export class PathError extends Error {
  override readonly name = "PathError";
}

/**
 * Splits a dotted path into keys.
 *
 * @throws {PathError} for an empty path or key, a key of `__proto__`/`prototype`/`constructor`,
 * or a path too long or too deep.
 */
export function parsePath(path: string): string[] {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) {
    throw new PathError(`A path is 1-${MAX_PATH_LENGTH} characters of dotted keys, like "players.p1.score".`);
  }
  const keys = path.split(".");
  if (keys.length > MAX_PATH_DEPTH) throw new PathError(`A path may be at most ${MAX_PATH_DEPTH} keys deep.`);
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new PathError(`"${path}" has an empty or too long key (keys are 1-${MAX_KEY_LENGTH} characters).`);
    }
    if (FORBIDDEN_KEYS.has(key)) throw new PathError(`"${key}" cannot be a key in a path.`);
  }
  return keys;
}

/** The value at `keys`, or undefined when nothing is there. */
export function getAt(root: JsonObject, keys: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of keys) {
    if (Array.isArray(node)) {
      if (!INDEX.test(key)) return undefined;
      node = node[Number(key)];
    } else if (isObject(node)) {
      node = Object.hasOwn(node, key) ? node[key] : undefined;
    } else {
      return undefined;
    }
  }
  return node;
}

/**
 * Puts `value` at `keys`, creating missing objects on the way (a null on the way counts as missing).
 *
 * @throws {PathError} when the way goes through a value that is not an object or array, or an
 * array index is not a number or lies beyond the end (`length` appends).
 */
export function setAt(root: JsonObject, keys: readonly string[], value: unknown): void {
  const parent = containerAt(root, keys, true) as JsonObject | unknown[];
  const last = keys[keys.length - 1] as string;
  if (Array.isArray(parent)) parent[arrayIndex(parent, last, true)] = value;
  else parent[last] = value;
}

/**
 * Removes what is at `keys`; returns false when nothing was there.
 *
 * @throws {PathError} when the way goes through a value that is not an object or array.
 */
export function deleteAt(root: JsonObject, keys: readonly string[]): boolean {
  const parent = containerAt(root, keys, false);
  if (parent === undefined) return false;
  const last = keys[keys.length - 1] as string;
  if (Array.isArray(parent)) {
    if (!INDEX.test(last) || Number(last) >= parent.length) return false;
    parent.splice(Number(last), 1);
    return true;
  }
  if (!Object.hasOwn(parent, last)) return false;
  delete parent[last];
  return true;
}

/**
 * The object or array holding the last key. With `create`, missing objects are created on the
 * way; without, a missing step answers undefined.
 */
function containerAt(root: JsonObject, keys: readonly string[], create: boolean): JsonObject | unknown[] | undefined {
  let node: JsonObject | unknown[] = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as string;
    let next: unknown;
    if (Array.isArray(node)) {
      if (!create && (!INDEX.test(key) || Number(key) >= node.length)) return undefined;
      const index = arrayIndex(node, key, true);
      next = node[index];
      if (next === undefined || next === null) {
        if (!create) return undefined;
        next = {};
        node[index] = next;
      }
    } else {
      next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (next === undefined || next === null) {
        if (!create) return undefined;
        next = {};
        node[key] = next;
      }
    }
    if (!isObject(next) && !Array.isArray(next)) {
      throw new PathError(`"${keys.slice(0, i + 1).join(".")}" holds a ${typeName(next)}, not an object or array.`);
    }
    node = next;
  }
  return node;
}

function arrayIndex(array: unknown[], key: string, allowAppend: boolean): number {
  if (!INDEX.test(key)) throw new PathError(`"${key}" is not an index into an array.`);
  const index = Number(key);
  if (index > array.length || (!allowAppend && index === array.length)) {
    throw new PathError(`Index ${index} is beyond the end of an array of ${array.length}.`);
  }
  return index;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return value === null ? "null" : typeof value;
}

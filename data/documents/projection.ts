import { ApiError } from "../../core/errors";
import { FIELD_SEGMENT, MAX_PATH_SEGMENTS } from "../../core/query";
import { jsonPathLiteral } from "../query/compile-sql";
import type { DocumentData } from "./document";

/** Most paths in one `select` or `exclude`. */
export const MAX_PROJECTION_PATHS = 50;

/**
 * Reads `select` or `exclude` from the query string: repeated keys and comma-separated lists both
 * work (`select=title&select=author.name` or `select=title,author.name`).
 *
 * @throws {ApiError} `invalid_request` for a path that is not dotted identifiers.
 */
export function parseProjection(params: URLSearchParams, name: "select" | "exclude"): string[][] | null {
  const raw = params.getAll(name).flatMap((value) => value.split(","));
  const texts = raw.map((text) => text.trim()).filter((text) => text !== "");
  if (texts.length === 0) return null;
  if (texts.length > MAX_PROJECTION_PATHS) {
    throw new ApiError("invalid_request", `At most ${MAX_PROJECTION_PATHS} paths in ${name}.`);
  }
  return texts.map((text) => {
    const path = text.split(".");
    if (path.length > MAX_PATH_SEGMENTS || !path.every((segment) => FIELD_SEGMENT.test(segment))) {
      throw new ApiError(
        "invalid_request",
        `Invalid ${name} path ${JSON.stringify(text)}: use dotted names of letters, digits and _.`,
        {
          param: name,
        },
      );
    }
    return path;
  });
}

/**
 * The SQL expression that reads `data` without the excluded paths, so large fields never leave
 * the database. Paths are validated identifiers, written as literals like the filter compiler's.
 */
export function dataExpression(exclude: string[][] | null, column = "d.data"): string {
  if (!exclude) return column;
  return `json_remove(${column}, ${exclude.map(jsonPathLiteral).join(", ")})`;
}

/** Keeps only the selected paths of `data` (missing ones stay missing). */
export function selectPaths(data: DocumentData, select: string[][]): DocumentData {
  const result: DocumentData = {};
  for (const path of select) {
    let source: unknown = data;
    for (const segment of path) {
      source =
        typeof source === "object" && source !== null && !Array.isArray(source) && Object.hasOwn(source, segment)
          ? (source as DocumentData)[segment]
          : undefined;
    }
    if (source === undefined) continue;
    let target = result;
    for (const segment of path.slice(0, -1)) {
      const next = Object.hasOwn(target, segment) ? target[segment] : undefined;
      if (typeof next !== "object" || next === null) {
        const created: DocumentData = {};
        Object.defineProperty(target, segment, {
          value: created,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        target = created;
      } else {
        target = next as DocumentData;
      }
    }
    Object.defineProperty(target, path.at(-1) as string, {
      value: source,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}

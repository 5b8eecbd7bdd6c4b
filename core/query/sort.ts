import type { SortKey } from "./ast.js";
import { FIELD_SEGMENT, MAX_PATH_SEGMENTS, MAX_SORT_KEYS } from "./ast.js";
import { filterError } from "./filter-error.js";

export { compareForSort } from "./sort-order.js";

/**
 * Parses a sort spec: comma-separated paths, each optionally prefixed with `-` (descending) or
 * `+` (ascending). Keys without a sign take `defaultOrder` (code written for the Cocobase SDK
 * sends `sort=created_at&order=desc`).
 *
 * @example
 * parseSort("-age,profile.city"); // [{ path: ["age"], desc: true }, { path: ["profile", "city"], desc: false }]
 *
 * @throws {ApiError} `invalid_filter` (with `details.param: "sort"` and the position) for an
 * invalid path or more than `MAX_SORT_KEYS` keys.
 */
export function parseSort(spec: string, defaultOrder: "asc" | "desc" = "asc"): SortKey[] {
  const keys: SortKey[] = [];
  if (spec.trim() === "") return keys;
  let position = 0;
  for (const raw of spec.split(",")) {
    const text = raw.trim();
    const at = position + raw.indexOf(text);
    position += raw.length + 1;
    const sign = text[0] === "-" || text[0] === "+" ? text[0] : "";
    const path = text.slice(sign.length).split(".");
    let segmentAt = at + sign.length;
    for (const segment of path) {
      if (!FIELD_SEGMENT.test(segment)) {
        throw filterError(`Invalid sort field ${JSON.stringify(segment)}: use letters, digits, _ and dots`, segmentAt, {
          param: "sort",
        });
      }
      segmentAt += segment.length + 1;
    }
    if (path.length > MAX_PATH_SEGMENTS) {
      throw filterError(`A field path may have at most ${MAX_PATH_SEGMENTS} segments`, at, { param: "sort" });
    }
    keys.push({ path, desc: sign === "-" || (sign === "" && defaultOrder === "desc") });
    if (keys.length > MAX_SORT_KEYS) {
      throw filterError(`At most ${MAX_SORT_KEYS} sort keys`, at, { param: "sort", max_sort_keys: MAX_SORT_KEYS });
    }
  }
  return keys;
}

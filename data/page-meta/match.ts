import {
  compareSpecificity,
  matchPattern,
  normalizeRequestPath,
  type PathSegment,
  parsePagePath,
  requestSegments,
} from "../../core/sites/page-path";
import { type PageMetaRow, pageMetaCandidates, type StoredPageMetaFields } from "./store";

/** The record that applies to one requested path, with the parameters its pattern bound. */
export interface MatchedPageMeta {
  /** The record's path or pattern. */
  path: string;
  fields: StoredPageMetaFields;
  /** `{ id: "42" }` for `/posts/:id` and `/posts/42`; empty for an exact path. */
  params: Record<string, string>;
}

/**
 * The record that applies to a requested path, or null: its exact record if it has one,
 * otherwise the most specific matching pattern (core/sites/page-path.ts `compareSpecificity`).
 * One query.
 */
export async function matchPageMeta(
  db: D1Database,
  projectId: string,
  site: string,
  requestPath: string,
): Promise<MatchedPageMeta | null> {
  const path = normalizeRequestPath(requestPath);
  const segments = requestSegments(path);
  const rows = await pageMetaCandidates(db, projectId, site, path, segments.length);
  return bestMatch(rows, segments);
}

/** Picks the record for a request's segments among candidate rows. */
export function bestMatch(rows: readonly PageMetaRow[], segments: readonly string[]): MatchedPageMeta | null {
  let best: { row: PageMetaRow; pattern: PathSegment[]; params: Record<string, string> } | null = null;
  for (const row of rows) {
    if (row.is_pattern === 0) return { path: row.path, fields: JSON.parse(row.fields), params: {} };
    const pattern = parsePagePath(row.path).segments;
    const params = matchPattern(pattern, segments);
    if (params && (!best || compareSpecificity(pattern, best.pattern) < 0)) best = { row, pattern, params };
  }
  return best && { path: best.row.path, fields: JSON.parse(best.row.fields), params: best.params };
}

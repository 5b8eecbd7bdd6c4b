/**
 * The paths page meta is keyed by: an exact page path (`/about`) or a pattern (`/products/:id`,
 * `/docs/*`), and how a pattern matches a requested path. Pure and browser-safe: the routes
 * validate with it, the site server matches with it, and both always agree.
 *
 * Grammar: `/` followed by segments separated by `/`. A segment `:name` (a letter or `_`, then
 * letters, digits or `_`) matches any one segment and names it; a last segment `*` matches the
 * rest of the path, zero segments or more (so `/*` matches every page). Any other segment is a
 * literal, compared exactly (case-sensitive). A trailing slash is dropped: `/about/` and
 * `/about` are the same page.
 */

/** Longest page path or pattern, in characters. */
export const MAX_PAGE_PATH_LENGTH = 1024;

const PARAM_SEGMENT = /^:[A-Za-z_][A-Za-z0-9_]*$/;
const WILDCARD = "*";

/** One segment of a pattern: a literal, a named parameter, or the trailing wildcard. */
export type PathSegment = { kind: "literal"; text: string } | { kind: "param"; name: string } | { kind: "wildcard" };

/** A parsed page path or pattern. */
export interface PagePath {
  /** As written, normalized (no trailing slash): `/products/:id`. */
  path: string;
  /** True when any segment is a parameter or the wildcard. */
  isPattern: boolean;
  segments: PathSegment[];
  /**
   * What identifies the record: the path with parameter names dropped (`/products/:`), so two
   * patterns that match the same pages (`/posts/:id`, `/posts/:slug`) are one record.
   */
  key: string;
}

/** Why a string is not a page path, or null when it is one. */
export function pagePathProblem(path: string): string | null {
  if (!path.startsWith("/")) return "must start with /";
  if (path.length > MAX_PAGE_PATH_LENGTH) return `must be at most ${MAX_PAGE_PATH_LENGTH} characters`;
  if (/[?#]/.test(path)) return "must not contain ? or # (page meta is per path, not per query)";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  if (/[\u0000-\u001f\u007f]/.test(path)) return "must not contain control characters";
  const segments = splitSegments(path);
  if (segments.some((segment) => segment === "")) return "must not contain empty segments (//)";
  if (segments.some((segment) => segment === "." || segment === "..")) return "must not contain . or .. segments";
  for (const [index, segment] of segments.entries()) {
    if (segment.startsWith(":") && !PARAM_SEGMENT.test(segment)) {
      return `parameter "${segment}" must be : then a letter or _, then letters, digits or _`;
    }
    if (segment.includes(WILDCARD) && (segment !== WILDCARD || index !== segments.length - 1)) {
      return "* may only be the whole last segment";
    }
  }
  const names = segments.filter((segment) => segment.startsWith(":"));
  if (new Set(names).size !== names.length) return "must not name a parameter twice";
  return null;
}

/**
 * Parses a page path or pattern.
 *
 * @throws {TypeError} when it is not one (check with {@link pagePathProblem} first).
 */
export function parsePagePath(raw: string): PagePath {
  const problem = pagePathProblem(raw);
  if (problem) throw new TypeError(`Not a page path (${problem}): ${JSON.stringify(raw)}`);
  const segments = splitSegments(raw).map(toSegment);
  const path = `/${segments.map(segmentText).join("/")}`;
  const key = `/${segments.map((segment) => (segment.kind === "param" ? ":" : segmentText(segment))).join("/")}`;
  return { path, isPattern: segments.some((segment) => segment.kind !== "literal"), segments, key };
}

/** A requested path as page meta sees it: normalized like a stored path (no trailing slash). */
export function normalizeRequestPath(path: string): string {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") : path;
  return trimmed === "" ? "/" : trimmed;
}

/** The segments of a normalized request path (`/` has none). */
export function requestSegments(path: string): string[] {
  return splitSegments(normalizeRequestPath(path));
}

/** The parameters a pattern binds for a request path's segments, or null when it does not match. */
export function matchPattern(
  pattern: readonly PathSegment[],
  segments: readonly string[],
): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    if (part.kind === "wildcard") return params;
    const segment = segments[index];
    if (segment === undefined) return null;
    if (part.kind === "literal" && part.text !== segment) return null;
    if (part.kind === "param") params[part.name] = segment;
  }
  return pattern.length === segments.length ? params : null;
}

/**
 * Orders two patterns that both match one path: negative when `a` is more specific. At the
 * first segment where they differ, a literal beats a parameter, which beats the wildcard; a
 * pattern that ends there beats one whose wildcard matches nothing (`/a/:x` over `/a/:x/*`).
 * Two different records can never tie: a tie means the same key.
 */
export function compareSpecificity(a: readonly PathSegment[], b: readonly PathSegment[]): number {
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const difference = rank(b[index]) - rank(a[index]);
    if (difference !== 0) return difference;
  }
  return 0;
}

const RANK = { literal: 3, param: 2, wildcard: 0 } as const;
/** How specific a segment is; a pattern's end ranks between a parameter and the wildcard. */
const rank = (segment: PathSegment | undefined) => (segment ? RANK[segment.kind] : 1);

/** The number of segments a request needs for a pattern to possibly match, and whether more may follow. */
export function segmentBounds(segments: readonly PathSegment[]): { count: number; wildcard: boolean } {
  const wildcard = segments.at(-1)?.kind === "wildcard";
  return { count: wildcard ? segments.length - 1 : segments.length, wildcard };
}

function splitSegments(path: string): string[] {
  const normalized = normalizeRequestPath(path);
  return normalized === "/" ? [] : normalized.slice(1).split("/");
}

function toSegment(text: string): PathSegment {
  if (text === WILDCARD) return { kind: "wildcard" };
  if (text.startsWith(":")) return { kind: "param", name: text.slice(1) };
  return { kind: "literal", text };
}

function segmentText(segment: PathSegment): string {
  if (segment.kind === "wildcard") return WILDCARD;
  return segment.kind === "param" ? `:${segment.name}` : segment.text;
}

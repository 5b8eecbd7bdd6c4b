// The seam between serving a site's HTML (worker/sites/) and page meta (worker/sites/meta/): the
// site server calls this for every HTML response it sends, with the path the visitor asked for
// (for an SPA fallback that is the requested deep link, not `/`).

import { normalizeRequestPath } from "../../../core/sites/page-path";
import { pageMetaValues } from "../../../data/page-meta/document-values";
import { type MatchedPageMeta, matchPageMeta } from "../../../data/page-meta/match";
import { headTags, isEmpty } from "./head-tags";
import { injectHeadTags } from "./inject-head-tags";
import { pageMetaMatches } from "./match-cache";

/** Which page of which site an HTML response is for. */
export interface PageMetaTarget {
  projectId: string;
  site: string;
  /** The requested path, decoded, starting with `/`. */
  path: string;
}

/**
 * The page with its meta: the record that applies to the path (exact, else the most specific
 * pattern), with its document's values for a document-bound one, written into `<head>` as the
 * HTML streams. A page no record applies to, and any response that is not a 200 of uncompressed
 * HTML, passes through untouched. At most one meta query per request (none when the isolate has
 * the match cached, ./match-cache.ts), plus one document read for a document-bound record.
 *
 * Page meta must never cost a visitor the page: if its lookup fails, the page is served as built
 * (and the error logged).
 */
export async function applyPageMeta(env: Env, target: PageMetaTarget, html: Response): Promise<Response> {
  if (!isRewritableHtml(html)) return html;
  try {
    const match = await cachedMatch(env.DB, target);
    const values = match && (await pageMetaValues(env.DB, target.projectId, match));
    if (!values) return html;
    const tags = headTags(values);
    return isEmpty(tags) ? html : injectHeadTags(html, tags);
  } catch (error) {
    console.error("page meta: serving the page without it", error);
    return html;
  }
}

async function cachedMatch(db: D1Database, { projectId, site, path }: PageMetaTarget): Promise<MatchedPageMeta | null> {
  const normalized = normalizeRequestPath(path);
  const cached = pageMetaMatches.get(projectId, site, normalized);
  if (cached !== undefined) return cached;
  const generation = pageMetaMatches.generation(projectId, site);
  const match = await matchPageMeta(db, projectId, site, normalized);
  pageMetaMatches.set(projectId, site, normalized, match, generation);
  return match;
}

/** A 200 with an HTML body the rewriter can read: compressed bytes would be garbage to it. */
function isRewritableHtml(response: Response): boolean {
  const type = response.headers.get("Content-Type") ?? "";
  const encoding = response.headers.get("Content-Encoding");
  return (
    response.status === 200 &&
    response.body !== null &&
    /^text\/html\b/i.test(type) &&
    (encoding === null || encoding.toLowerCase() === "identity")
  );
}

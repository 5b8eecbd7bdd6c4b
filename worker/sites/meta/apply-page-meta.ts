// The seam between serving a site's HTML (worker/sites/) and page meta (worker/sites/meta/): the
// site server calls this for every HTML response it sends, with the path the visitor asked for
// (for an SPA fallback that is the requested deep link, not `/`). Until page meta lands it passes
// the page through unchanged.

/** Which page of which site an HTML response is for. */
export interface PageMetaTarget {
  projectId: string;
  site: string;
  /** The requested path, decoded, starting with `/`. */
  path: string;
}

export async function applyPageMeta(_env: Env, _target: PageMetaTarget, html: Response): Promise<Response> {
  return html;
}

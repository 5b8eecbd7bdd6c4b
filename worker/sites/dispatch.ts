import { siteByHostname, siteByName } from "../../data/sites/serving";
import { siteAddressOf } from "./address";
import { isApiPath } from "./reserved-paths";
import { serveSite } from "./serve-site";

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/**
 * The Worker's front door: a request is the API's when its path is (`/v1/…`, `/health`, …: never
 * shadowed by a site), else a site's when its host names one (a default address, or a mapped
 * hostname: the one D1 query of a site request, which also reads the active release), else the
 * API's again (its 404).
 */
export async function fetchSiteOrApi(request: Request, env: Env, ctx: ExecutionContext, api: Fetch): Promise<Response> {
  const url = new URL(request.url);
  if (isApiPath(url.pathname)) return api(request, env, ctx);
  const address = siteAddressOf(url.hostname);
  if (address.kind === "default") {
    const site = await siteByName(env.DB, address.projectId, address.site);
    if (!site) {
      return new Response(`No site "${address.site}" in project ${address.projectId}.`, {
        status: 404,
        headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" },
      });
    }
    return serveSite(request, env, site);
  }
  const site = await siteByHostname(env.DB, address.hostname);
  return site ? serveSite(request, env, site) : api(request, env, ctx);
}

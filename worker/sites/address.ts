import { PROJECT_ID, SITE_NAME } from "../../core/sites/names";

/** How a request names a site: by its default address, or by a hostname to look up. */
export type SiteAddress = { kind: "default"; projectId: string; site: string } | { kind: "hostname"; hostname: string };

/**
 * The site a request's host names. `<site>--<project>.<anything>` is a site's default address
 * (locally `www--p0123456789abcde.localhost:8787`, which Chromium resolves to loopback; deployed,
 * under a wildcard route such as `*.sites.example.com/*`): read from the name alone, no lookup.
 * Any other host may be a hostname mapped to a site, or the API's own.
 */
export function siteAddressOf(hostname: string): SiteAddress {
  const host = hostname.toLowerCase();
  const label = host.slice(0, host.indexOf(".") >>> 0);
  const split = label.lastIndexOf("--");
  if (split > 0) {
    const site = label.slice(0, split);
    const projectId = label.slice(split + 2);
    if (SITE_NAME.test(site) && PROJECT_ID.test(projectId)) return { kind: "default", projectId, site };
  }
  return { kind: "hostname", hostname: host.replace(/\.$/, "") };
}

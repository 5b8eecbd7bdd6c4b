import { siteLabel } from "../../core/sites/names";
import type { SiteRecord } from "../../core/sites/wire";
import type { StoredSite } from "../../data/sites/sites";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Where a site answers, as seen from the request that asks (same scheme and port, so locally it is
 * `http://<site>--<project>.localhost:8787`): its first hostname, else its default address under
 * the request's host. On `*.workers.dev` a Worker has exactly one hostname (no subdomains), so a
 * site there needs a mapped hostname: without one, null.
 */
export function siteUrl(requestUrl: string, projectId: string, site: StoredSite): string | null {
  const url = new URL(requestUrl);
  const port = url.port ? `:${url.port}` : "";
  const hostname = site.hostnames[0];
  if (hostname) return `${url.protocol}//${hostname}${port}`;
  if (url.hostname.endsWith(".workers.dev")) return null;
  const base = LOOPBACK.has(url.hostname) ? "localhost" : url.hostname;
  return `${url.protocol}//${siteLabel(site.name, projectId)}.${base}${port}`;
}

/** The wire record of a stored site. */
export function siteRecord(requestUrl: string, projectId: string, site: StoredSite): SiteRecord {
  return { ...site, url: siteUrl(requestUrl, projectId, site) };
}

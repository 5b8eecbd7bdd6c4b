import { Hono } from "hono";
import { z } from "zod";
import { HOSTNAME } from "../../core/sites/names";
import { SiteName, SiteRecordSchema } from "../../core/sites/wire-schemas";
import { addHostname, removeHostname } from "../../data/sites/hostnames";
import { requireSite } from "../../data/sites/sites";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";
import { siteRecord } from "../sites/site-url";
import { ADMIN_MOUNT, AdminProjectParams } from "./sites-mount";

const Hostname = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.string().regex(HOSTNAME, "a DNS name such as www.example.com (no port, no scheme)"));
const params = AdminProjectParams.extend({ site: SiteName, hostname: Hostname });

/**
 * `/v1/admin/projects/:projectId/sites/:site/hostnames/:hostname`: the operator maps custom
 * domains (routed to this Worker in Cloudflare) to sites. Only the operator: a hostname is one
 * site's for the whole deployment, and no project may claim another's domain.
 */
export const adminSiteHostnameRoutes = new Hono<AppEnv>()
  .put(
    "/projects/:projectId/sites/:site/hostnames/:hostname",
    route({
      summary: "Map a hostname to a site",
      description:
        "Requests for that host are answered by the site (the API's own paths, `/v1/…`, `/health`, …, stay the API's). Mapping it again is a no-op.",
      auth: "admin",
      checks: ADMIN_MOUNT.checks,
      params,
      responses: { 200: { description: "The site with its hostnames.", body: SiteRecordSchema } },
      errors: ["not_found", "conflict"],
    }),
    async (c) => {
      const { projectId, site, hostname } = c.req.valid("param");
      await addHostname(c.env.DB, projectId, site, hostname);
      return c.json(siteRecord(c.req.url, projectId, await requireSite(c.env.DB, projectId, site)));
    },
  )
  .delete(
    "/projects/:projectId/sites/:site/hostnames/:hostname",
    route({
      summary: "Remove a hostname from a site",
      auth: "admin",
      checks: ADMIN_MOUNT.checks,
      params,
      responses: { 200: { description: "The site with its hostnames.", body: SiteRecordSchema } },
      errors: ["not_found"],
    }),
    async (c) => {
      const { projectId, site, hostname } = c.req.valid("param");
      await removeHostname(c.env.DB, projectId, site, hostname);
      return c.json(siteRecord(c.req.url, projectId, await requireSite(c.env.DB, projectId, site)));
    },
  );

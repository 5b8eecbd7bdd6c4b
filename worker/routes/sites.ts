import { type Context, Hono } from "hono";
import { ApiError } from "../../core/errors";
import { checkSitePath } from "../../core/sites/names";
import type { SiteSettings } from "../../core/sites/wire";
import {
  CreateSiteBody,
  DeletedSiteSchema,
  SiteName,
  SitePageSchema,
  SiteRecordSchema,
  UpdateSiteBody,
} from "../../core/sites/wire-schemas";
import { collectUnusedBlobs } from "../../data/sites/blobs";
import {
  createSite,
  DEFAULT_SITE_SETTINGS,
  deleteSite,
  listSites,
  requireSite,
  updateSite,
} from "../../data/sites/sites";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";
import { siteRecord } from "../sites/site-url";
import { ADMIN_MOUNT, mountParams, SECRET_KEY_MOUNT, type SiteMount } from "./sites-mount";

/** A request's settings over the current ones, with the 404 page's path checked. */
function mergeSettings(current: SiteSettings, input: Partial<SiteSettings>): SiteSettings {
  let notFoundPage = input.not_found_page === undefined ? current.not_found_page : input.not_found_page;
  if (notFoundPage !== null) {
    const check = checkSitePath(notFoundPage);
    if (!check.ok) throw new ApiError("invalid_path", `not_found_page: ${check.message}`, { reason: check.reason });
    notFoundPage = check.path;
  }
  return {
    spa: input.spa ?? current.spa,
    not_found_page: notFoundPage,
    clean_urls: input.clean_urls ?? current.clean_urls,
    keep_releases: input.keep_releases ?? current.keep_releases,
  };
}

/** The site name of `…/sites/:site…` (validated by route() before any handler reads it). */
export const siteOf = (c: Context<AppEnv>) => c.req.param("site") as string;

/**
 * The site endpoints, written once and mounted twice: for a project's secret key (`/v1/sites`)
 * and for the operator (`/v1/admin/projects/:projectId/sites`).
 */
function siteCrudRoutes(mount: SiteMount) {
  const { auth, checks, project } = mount;
  const errors = auth === "admin" ? (["not_found"] as const) : [];
  const listParams = mount.projectParams ? { params: mount.projectParams } : {};
  const params = mountParams(mount, { site: SiteName });
  return new Hono<AppEnv>()
    .get(
      "/",
      route({
        summary: "List the project's sites",
        auth,
        checks,
        ...listParams,
        responses: { 200: { description: "Every site, by name.", body: SitePageSchema } },
        errors,
      }),
      async (c) => {
        const projectId = project(c);
        const sites = await listSites(c.env.DB, projectId);
        return c.json({ items: sites.map((site) => siteRecord(c.req.url, projectId, site)), next_cursor: null });
      },
    )
    .post(
      "/",
      route({
        summary: "Create a site",
        description:
          "Settings left out take their defaults: SPA mode on, `/404.html` as the 404 page when a release has one, no clean URLs, 10 releases kept. The site answers 404 until its first release is activated.",
        auth,
        checks,
        ...listParams,
        body: CreateSiteBody,
        responses: { 201: { description: "The site.", body: SiteRecordSchema } },
        errors: [...errors, "conflict", "invalid_path"],
      }),
      async (c) => {
        const projectId = project(c);
        const { name, ...input } = c.req.valid("json");
        const site = await createSite(c.env.DB, projectId, name, mergeSettings(DEFAULT_SITE_SETTINGS, input));
        return c.json(siteRecord(c.req.url, projectId, site), 201);
      },
    )
    .get(
      "/:site",
      route({
        summary: "Get a site",
        auth,
        checks,
        params,
        responses: { 200: { description: "The site.", body: SiteRecordSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const projectId = project(c);
        return c.json(siteRecord(c.req.url, projectId, await requireSite(c.env.DB, projectId, siteOf(c))));
      },
    )
    .patch(
      "/:site",
      route({
        summary: "Change a site's settings",
        description: "Only the fields sent change. Takes effect on the next request; no deploy needed.",
        auth,
        checks,
        params,
        body: UpdateSiteBody,
        responses: { 200: { description: "The site.", body: SiteRecordSchema } },
        errors: ["not_found", "invalid_path"],
      }),
      async (c) => {
        const projectId = project(c);
        const name = siteOf(c);
        const current = await requireSite(c.env.DB, projectId, name);
        const site = await updateSite(c.env.DB, projectId, name, mergeSettings(current, c.req.valid("json")));
        return c.json(siteRecord(c.req.url, projectId, site));
      },
    )
    .delete(
      "/:site",
      route({
        summary: "Delete a site",
        description:
          "With its releases and hostnames; it stops answering at once. Files no other site of the project uses are removed after the answer.",
        auth,
        checks,
        params,
        responses: { 200: { description: "Deleted.", body: DeletedSiteSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const projectId = project(c);
        const name = siteOf(c);
        await deleteSite(c.env.DB, projectId, name);
        c.executionCtx.waitUntil(collectUnusedBlobs(c.env.DB, c.env.BUCKET, projectId));
        return c.json({ name, deleted: true as const });
      },
    );
}

/** `/v1/sites` with a secret key. */
export const siteRoutes = siteCrudRoutes(SECRET_KEY_MOUNT);

/** `/v1/admin/projects/:projectId/sites` with the admin token. */
export const adminSiteRoutes = new Hono<AppEnv>().route("/projects/:projectId/sites", siteCrudRoutes(ADMIN_MOUNT));

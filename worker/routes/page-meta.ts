import { type Context, Hono } from "hono";
import { z } from "zod";
import {
  DeletedPageMetaSchema,
  PAGE_META_LIMITS,
  PageMetaBatchResultSchema,
  PageMetaBatchSchema,
  PageMetaInputSchema,
  PageMetaPageSchema,
  PageMetaRecordSchema,
  PagePathSchema,
} from "../../core/sites/page-meta-schemas";
import { SiteName } from "../../core/sites/wire-schemas";
import { deletePageMeta, getPageMeta, listPageMetas, setPageMetas } from "../../data/page-meta/store";
import { requireSite } from "../../data/sites/sites";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";
import { pageMetaMatches } from "../sites/meta/match-cache";
import { ADMIN_MOUNT, mountParams, SECRET_KEY_MOUNT, type SiteMount } from "./sites-mount";

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_META_LIMITS.page).default(50),
  cursor: z.string().max(2048).optional().meta({ description: "`next_cursor` of the previous page." }),
});
const EntryQuery = z.object({ path: PagePathSchema });

const PATH_NOTE =
  "Patterns are found by their shape: `/posts/:slug` names the record set as `/posts/:id`; a trailing slash is ignored.";

/**
 * The page-meta endpoints of one site, written once and mounted twice: for a project's secret
 * key (`/v1/sites/:site/page-meta`) and for the operator
 * (`/v1/admin/projects/:projectId/sites/:site/page-meta`). Every write forgets this isolate's
 * cached matches of the site (worker/sites/meta/match-cache.ts).
 */
function pageMetaRoutes(mount: SiteMount) {
  const { auth, checks, project } = mount;
  const params = mountParams(mount, { site: SiteName });
  // Validated by route(); read back by name so both mounts share one handler.
  const target = async (c: Context<AppEnv>) => {
    const projectId = project(c);
    const site = c.req.param("site") as string;
    await requireSite(c.env.DB, projectId, site);
    return { projectId, site };
  };
  return new Hono<AppEnv>()
    .get(
      "/",
      route({
        summary: "List a site's page meta",
        description: "Exact paths and patterns, ordered by path; `next_cursor` continues.",
        auth,
        checks,
        params,
        query: ListQuery,
        responses: { 200: { description: "A page of records.", body: PageMetaPageSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const { projectId, site } = await target(c);
        return c.json(await listPageMetas(c.env.DB, projectId, site, c.req.valid("query")));
      },
    )
    .put(
      "/",
      route({
        summary: "Set a page's meta",
        description: `Creates or replaces the record of \`path\` (an exact path or a pattern); fields left out are not set. ${PATH_NOTE}`,
        auth,
        checks,
        params,
        body: PageMetaInputSchema,
        responses: { 200: { description: "The record.", body: PageMetaRecordSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const { projectId, site } = await target(c);
        const [record] = await setPageMetas(c.env.DB, projectId, site, [c.req.valid("json")]);
        pageMetaMatches.forgetSite(projectId, site);
        return c.json(record);
      },
    )
    .post(
      "/batch",
      route({
        summary: "Set many pages' meta",
        description: `Up to ${PAGE_META_LIMITS.batch} records, each created or replaced, all or none. ${PATH_NOTE}`,
        auth,
        checks,
        params,
        body: PageMetaBatchSchema,
        responses: { 200: { description: "The records, in the order sent.", body: PageMetaBatchResultSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const { projectId, site } = await target(c);
        const items = await setPageMetas(c.env.DB, projectId, site, c.req.valid("json").pages);
        pageMetaMatches.forgetSite(projectId, site);
        return c.json({ items });
      },
    )
    .get(
      "/entry",
      route({
        summary: "Get a page's meta",
        description: `The record stored for \`path\` (as stored, not what a request would resolve to). ${PATH_NOTE}`,
        auth,
        checks,
        params,
        query: EntryQuery,
        responses: { 200: { description: "The record.", body: PageMetaRecordSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const { projectId, site } = await target(c);
        return c.json(await getPageMeta(c.env.DB, projectId, site, c.req.valid("query").path));
      },
    )
    .delete(
      "/entry",
      route({
        summary: "Delete a page's meta",
        description: PATH_NOTE,
        auth,
        checks,
        params,
        query: EntryQuery,
        responses: { 200: { description: "Deleted.", body: DeletedPageMetaSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const { projectId, site } = await target(c);
        const path = await deletePageMeta(c.env.DB, projectId, site, c.req.valid("query").path);
        pageMetaMatches.forgetSite(projectId, site);
        return c.json({ path, deleted: true as const });
      },
    );
}

/** `/v1/sites/:site/page-meta` with a secret key. */
export const sitePageMetaRoutes = new Hono<AppEnv>().route("/:site/page-meta", pageMetaRoutes(SECRET_KEY_MOUNT));

/** `/v1/admin/projects/:projectId/sites/:site/page-meta` with the admin token. */
export const adminPageMetaRoutes = new Hono<AppEnv>().route(
  "/projects/:projectId/sites/:site/page-meta",
  pageMetaRoutes(ADMIN_MOUNT),
);

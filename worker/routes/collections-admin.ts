import { type Context, Hono, type MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { CollectionName } from "../../core/documents/names";
import { ApiError } from "../../core/errors";
import {
  getCollectionSettings,
  putCollectionRetention,
  putCollectionRules,
  RetentionBody,
  RulesBody,
  validateRules,
} from "../../data/documents/collection-settings";
import { CreateIndexBody, createIndex, dropIndex, listIndexes } from "../../data/documents/indexes";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth/admin";
import { requireAuth, requireSecretKey } from "../auth/auth-context";
import { getProject } from "../projects/project-store";
import { readJson, readParams } from "../validation";

/** A secret key of the project (authenticates, then insists on sk_). */
const requireSecret = createMiddleware<AppEnv>(async (c, next) => {
  await requireAuth(c, async () => {
    await requireSecretKey(c, next);
  });
});

const Params = z.object({ collection: CollectionName });
const IndexParams = Params.extend({ name: z.string().min(1).max(64) });
const AdminParams = z.object({ projectId: z.string().min(1).max(64), collection: CollectionName });
const AdminIndexParams = AdminParams.extend({ name: z.string().min(1).max(64) });

/**
 * The collection-settings endpoints, written once and mounted twice: for a project's secret key
 * (`/v1/collections/:collection/…`, the project is the key's) and for the operator
 * (`/v1/admin/projects/:projectId/collections/:collection/…`).
 */
function settingsRoutes(
  guard: MiddlewareHandler<AppEnv>,
  project: (c: Context<AppEnv>) => Promise<string>,
  params: typeof Params | typeof AdminParams,
  indexParams: typeof IndexParams | typeof AdminIndexParams,
) {
  return new Hono<AppEnv>()
    .use("/rules", guard)
    .use("/retention", guard)
    .use("/indexes", guard)
    .use("/indexes/*", guard)
    .get("/rules", async (c) => {
      const { collection } = readParams(c, params);
      const { rules, updated_at } = await getCollectionSettings(c.env.DB, await project(c), collection);
      return c.json({ collection, rules, updated_at });
    })
    .put("/rules", async (c) => {
      const { collection } = readParams(c, params);
      const projectId = await project(c);
      const body = await readJson(c, RulesBody);
      validateRules(body);
      const { rules, updated_at } = await putCollectionRules(c.env.DB, projectId, collection, body);
      return c.json({ collection, rules, updated_at });
    })
    .get("/retention", async (c) => {
      const { collection } = readParams(c, params);
      const { retention } = await getCollectionSettings(c.env.DB, await project(c), collection);
      return c.json({ collection, ...retention });
    })
    .put("/retention", async (c) => {
      const { collection } = readParams(c, params);
      const projectId = await project(c);
      const body = await readJson(c, RetentionBody);
      const { retention } = await putCollectionRetention(c.env.DB, projectId, collection, body);
      return c.json({ collection, ...retention });
    })
    .get("/indexes", async (c) => {
      const { collection } = readParams(c, params);
      return c.json({ items: await listIndexes(c.env.DB, await project(c), collection), next_cursor: null });
    })
    .post("/indexes", async (c) => {
      const { collection } = readParams(c, params);
      const projectId = await project(c);
      const body = await readJson(c, CreateIndexBody);
      return c.json(await createIndex(c.env.DB, projectId, collection, body), 201);
    })
    .delete("/indexes/:name", async (c) => {
      const { collection, name } = readParams(c, indexParams);
      await dropIndex(c.env.DB, await project(c), collection, name);
      return c.json({ name, deleted: true });
    });
}

/** `/v1/collections/:collection/{rules,retention,indexes}` with a secret key. */
export const collectionSettingsRoutes = new Hono<AppEnv>().route(
  "/:collection",
  settingsRoutes(requireSecret, async (c) => c.var.auth.projectId, Params, IndexParams),
);

/** `/v1/admin/projects/:projectId/collections/:collection/{rules,retention,indexes}` with the admin token. */
export const adminCollectionRoutes = new Hono<AppEnv>().route(
  "/projects/:projectId/collections/:collection",
  settingsRoutes(
    requireAdmin,
    async (c) => {
      const { projectId } = readParams(c, AdminParams);
      if (!(await getProject(c.env.DB, projectId)))
        throw new ApiError("not_found", `No project with id "${projectId}".`);
      return projectId;
    },
    AdminParams,
    AdminIndexParams,
  ),
);

import { type Context, Hono, type MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { CollectionName } from "../../core/documents/names";
import {
  DocumentIndexSchema,
  DroppedIndexSchema,
  pageOf,
  RetentionResponseSchema,
  RulesResponseSchema,
} from "../../core/documents/wire-schemas";
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
import { type RouteAuth, route } from "../openapi/route";
import { getProject } from "../projects/project-store";
import { parseInput } from "../validation";

const Params = z.object({ collection: CollectionName });
const AdminParams = z.object({ projectId: z.string().min(1).max(64), collection: CollectionName });
const IndexName = z.object({ name: z.string().min(1).max(64) });

/** Who manages the settings, and how the project is found: the key's, or the path's. */
interface SettingsMount<P extends typeof Params | typeof AdminParams> {
  auth: RouteAuth;
  params: P;
  checks: MiddlewareHandler<AppEnv>[];
  project(c: Context<AppEnv>): string;
}

/** The operator's mount checks that the project exists before anything else about the request. */
const requireProjectParam = createMiddleware<AppEnv>(async (c, next) => {
  const { projectId } = parseInput(AdminParams, c.req.param(), "path parameters");
  if (!(await getProject(c.env.DB, projectId))) throw new ApiError("not_found", `No project with id "${projectId}".`);
  await next();
});

/**
 * The collection-settings endpoints, written once and mounted twice: for a project's secret key
 * (`/v1/collections/:collection/…`, the project is the key's) and for the operator
 * (`/v1/admin/projects/:projectId/collections/:collection/…`).
 */
function settingsRoutes<P extends typeof Params | typeof AdminParams>(mount: SettingsMount<P>) {
  const { auth, params, checks, project } = mount;
  const errors = auth === "admin" ? (["not_found"] as const) : [];
  return new Hono<AppEnv>()
    .get(
      "/rules",
      route({
        summary: "Get a collection's security rules",
        auth,
        checks,
        params,
        responses: {
          200: { description: "The rules; a missing operation is secret keys only.", body: RulesResponseSchema },
        },
        errors,
      }),
      async (c) => {
        const { collection } = c.req.valid("param");
        const { rules, updated_at } = await getCollectionSettings(c.env.DB, project(c), collection);
        return c.json({ collection, rules, updated_at });
      },
    )
    .put(
      "/rules",
      route({
        summary: "Set a collection's security rules",
        description: "Each operation's rule as a filter expression; unlisted operations are removed.",
        auth,
        checks,
        params,
        body: RulesBody,
        responses: { 200: { description: "The rules now in force.", body: RulesResponseSchema } },
        errors: [...errors, "invalid_filter"],
      }),
      async (c) => {
        const { collection } = c.req.valid("param");
        const body = c.req.valid("json");
        validateRules(body);
        const { rules, updated_at } = await putCollectionRules(c.env.DB, project(c), collection, body);
        return c.json({ collection, rules, updated_at });
      },
    )
    .get(
      "/retention",
      route({
        summary: "Get a collection's change-feed retention",
        auth,
        checks,
        params,
        responses: { 200: { description: "How much of the change feed is kept.", body: RetentionResponseSchema } },
        errors,
      }),
      async (c) => {
        const { collection } = c.req.valid("param");
        const { retention } = await getCollectionSettings(c.env.DB, project(c), collection);
        return c.json({ collection, ...retention });
      },
    )
    .put(
      "/retention",
      route({
        summary: "Set a collection's change-feed retention",
        auth,
        checks,
        params,
        body: RetentionBody,
        responses: { 200: { description: "The retention now in force.", body: RetentionResponseSchema } },
        errors,
      }),
      async (c) => {
        const { collection } = c.req.valid("param");
        const { retention } = await putCollectionRetention(c.env.DB, project(c), collection, c.req.valid("json"));
        return c.json({ collection, ...retention });
      },
    )
    .get(
      "/indexes",
      route({
        summary: "List a collection's indexes",
        auth,
        checks,
        params,
        responses: { 200: { description: "Every index of the collection.", body: pageOf(DocumentIndexSchema) } },
        errors,
      }),
      async (c) => {
        const { collection } = c.req.valid("param");
        return c.json({ items: await listIndexes(c.env.DB, project(c), collection), next_cursor: null });
      },
    )
    .post(
      "/indexes",
      route({
        summary: "Create an index on document fields",
        auth,
        checks,
        params,
        body: CreateIndexBody,
        responses: { 201: { description: "The index.", body: DocumentIndexSchema } },
        errors: [...errors, "conflict"],
      }),
      async (c) => {
        const { collection } = c.req.valid("param");
        return c.json(await createIndex(c.env.DB, project(c), collection, c.req.valid("json")), 201);
      },
    )
    .delete(
      "/indexes/:name",
      route({
        summary: "Drop an index",
        auth,
        checks,
        params: params.extend(IndexName.shape),
        responses: { 200: { description: "Dropped.", body: DroppedIndexSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const { collection, name } = c.req.valid("param");
        await dropIndex(c.env.DB, project(c), collection, name);
        return c.json({ name, deleted: true });
      },
    );
}

/** `/v1/collections/:collection/{rules,retention,indexes}` with a secret key. */
export const collectionSettingsRoutes = new Hono<AppEnv>().route(
  "/:collection",
  settingsRoutes({ auth: "secret", params: Params, checks: [], project: (c) => c.var.auth.projectId }),
);

/** `/v1/admin/projects/:projectId/collections/:collection/{rules,retention,indexes}` with the admin token. */
export const adminCollectionRoutes = new Hono<AppEnv>().route(
  "/projects/:projectId/collections/:collection",
  settingsRoutes({
    auth: "admin",
    params: AdminParams,
    checks: [requireProjectParam],
    project: (c) => c.req.param("projectId") as string,
  }),
);

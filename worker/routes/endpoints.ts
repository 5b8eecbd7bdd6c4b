import { type Context, Hono, type MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { DeletedEndpointSchema, EndpointListSchema, EndpointRecordSchema } from "../../core/endpoints/wire-schemas";
import { ApiError } from "../../core/errors";
import {
  createEndpoint,
  deleteEndpoint,
  listEndpoints,
  requireEndpoint,
  toEndpointRecord,
  updateEndpoint,
} from "../../data/endpoints/endpoints";
import type { AppEnv } from "../app-env";
import {
  CreateEndpointBody,
  EndpointLabel,
  mergeSettings,
  NEW_ENDPOINT,
  UpdateEndpointBody,
} from "../endpoints/settings-input";
import { upstreamPolicy } from "../endpoints/upstream-guard";
import { type RouteAuth, route } from "../openapi/route";
import { getProject } from "../projects/project-store";

const LabelParams = z.object({ label: EndpointLabel });
const AdminProjectParams = z.object({ projectId: z.string().min(1).max(64) });

/** The operator's mount checks that the project exists before anything else about the request. */
const requireProjectParam = createMiddleware<AppEnv>(async (c, next) => {
  const projectId = c.req.param("projectId") ?? "";
  if (!(await getProject(c.env.DB, projectId))) throw new ApiError("not_found", `No project with id "${projectId}".`);
  await next();
});

/** Who manages endpoints, and how the project is found: the key's, or the path's. */
interface EndpointMount {
  auth: RouteAuth;
  projectParams?: typeof AdminProjectParams;
  checks: MiddlewareHandler<AppEnv>[];
  project(c: Context<AppEnv>): string;
}

const SECRET_NOTE =
  "`headers` are secret: added to every forwarded request, never returned (only `header_names`) and never logged.";

/**
 * The endpoint management routes, written once and mounted twice: for a project's secret key
 * (`/v1/endpoints`) and for the operator (`/v1/admin/projects/:projectId/endpoints`).
 */
function endpointRoutes({ auth, checks, project, projectParams }: EndpointMount) {
  const errors = auth === "admin" ? (["not_found"] as const) : [];
  const params = projectParams ? projectParams.extend(LabelParams.shape) : LabelParams;
  const listParams = projectParams ? { params: projectParams } : {};
  // Validated by route(); read back by name so both mounts share one handler.
  const labelOf = (c: Context<AppEnv>) => c.req.param("label") as string;
  return new Hono<AppEnv>()
    .get(
      "/",
      route({
        summary: "List the project's endpoints",
        auth,
        checks,
        ...listParams,
        responses: { 200: { description: "Every endpoint, by label.", body: EndpointListSchema } },
        errors,
      }),
      async (c) => {
        const items = (await listEndpoints(c.env.DB, project(c))).map(toEndpointRecord);
        return c.json({ items, next_cursor: null });
      },
    )
    .post(
      "/",
      route({
        summary: "Register an endpoint",
        description: `A label for an upstream URL or a tunnel, called through \`/v1/proxy/{label}/…\`. Settings left out take their defaults (docs/endpoints.md). ${SECRET_NOTE}`,
        auth,
        checks,
        ...listParams,
        body: CreateEndpointBody,
        responses: { 201: { description: "The endpoint.", body: EndpointRecordSchema } },
        errors: [...errors, "conflict", "invalid_filter"],
      }),
      async (c) => {
        const { label, ...input } = c.req.valid("json");
        const settings = mergeSettings({ ...NEW_ENDPOINT, target: input.target }, input, upstreamPolicy(c.env));
        return c.json(toEndpointRecord(await createEndpoint(c.env.DB, project(c), label, settings)), 201);
      },
    )
    .get(
      "/:label",
      route({
        summary: "Get an endpoint",
        auth,
        checks,
        params,
        responses: { 200: { description: "The endpoint.", body: EndpointRecordSchema } },
        errors: [...errors, "endpoint_not_found"],
      }),
      async (c) => c.json(toEndpointRecord(await requireEndpoint(c.env.DB, project(c), labelOf(c)))),
    )
    .patch(
      "/:label",
      route({
        summary: "Change an endpoint",
        description: `Only the fields sent change; \`headers\` is merged into the current secret headers (a name with \`null\` removes it). ${SECRET_NOTE}`,
        auth,
        checks,
        params,
        body: UpdateEndpointBody,
        responses: { 200: { description: "The endpoint.", body: EndpointRecordSchema } },
        errors: [...errors, "endpoint_not_found", "invalid_filter"],
      }),
      async (c) => {
        const projectId = project(c);
        const label = labelOf(c);
        const current = await requireEndpoint(c.env.DB, projectId, label);
        const settings = mergeSettings(current, c.req.valid("json"), upstreamPolicy(c.env));
        return c.json(toEndpointRecord(await updateEndpoint(c.env.DB, projectId, label, settings)));
      },
    )
    .delete(
      "/:label",
      route({
        summary: "Delete an endpoint",
        description: "Calls already forwarded finish; new calls get `endpoint_not_found`.",
        auth,
        checks,
        params,
        responses: { 200: { description: "Deleted.", body: DeletedEndpointSchema } },
        errors: [...errors, "endpoint_not_found"],
      }),
      async (c) => {
        const label = labelOf(c);
        await deleteEndpoint(c.env.DB, project(c), label);
        return c.json({ label, deleted: true as const });
      },
    );
}

/** `/v1/endpoints` with a secret key. */
export const endpointManagementRoutes = endpointRoutes({
  auth: "secret",
  checks: [],
  project: (c) => c.var.auth.projectId,
});

/** `/v1/admin/projects/:projectId/endpoints` with the admin token. */
export const adminEndpointRoutes = new Hono<AppEnv>().route(
  "/projects/:projectId/endpoints",
  endpointRoutes({
    auth: "admin",
    checks: [requireProjectParam],
    project: (c) => c.req.param("projectId") as string,
    projectParams: AdminProjectParams,
  }),
);

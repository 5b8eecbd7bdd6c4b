import { type Context, Hono, type MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import {
  CreateOidcProviderBody,
  OidcProviderListSchema,
  OidcProviderName,
  OidcProviderSchema,
  UpdateOidcProviderBody,
} from "../../core/accounts/oidc";
import { ApiError } from "../../core/errors";
import {
  createOidcProvider,
  deleteOidcProvider,
  listOidcProviders,
  requireOidcProvider,
  updateOidcProvider,
  withoutSecret,
} from "../../data/accounts/oidc-providers";
import type { AppEnv } from "../app-env";
import { type RouteAuth, route } from "../openapi/route";
import { getProject } from "../projects/project-store";

const AdminProjectParams = z.object({ projectId: z.string().min(1).max(64) });
const ProviderParams = z.object({ name: OidcProviderName });

/** The operator's mount checks that the project exists before anything else about the request. */
const requireProjectParam = createMiddleware<AppEnv>(async (c, next) => {
  const projectId = c.req.param("projectId") ?? "";
  if (!(await getProject(c.env.DB, projectId))) throw new ApiError("not_found", `No project with id "${projectId}".`);
  await next();
});

/** Who manages providers, and how the project is found: the key's, or the path's. */
interface ProviderMount {
  auth: RouteAuth;
  /** The path parameters above `/:name` (the admin mount's project id), if any. */
  projectParams?: typeof AdminProjectParams;
  checks: MiddlewareHandler<AppEnv>[];
  project(c: Context<AppEnv>): string;
}

/**
 * The provider configuration endpoints, written once and mounted twice: for a project's secret
 * key (`/v1/auth/oidc-providers`) and for the operator
 * (`/v1/admin/projects/:projectId/oidc-providers`). Client secrets go in and never come out.
 */
function providerRoutes({ auth, checks, project, projectParams }: ProviderMount) {
  const errors = auth === "admin" ? (["not_found"] as const) : [];
  const params = projectParams ? projectParams.extend(ProviderParams.shape) : ProviderParams;
  // Validated by route(); read back by name so both mounts share one handler.
  const nameOf = (c: Context<AppEnv>) => c.req.param("name") as string;
  return new Hono<AppEnv>()
    .get(
      "/",
      route({
        summary: "List the project's OpenID Connect providers",
        description: "Without their client secrets, which are write-only.",
        auth,
        checks,
        ...(projectParams ? { params: projectParams } : {}),
        responses: { 200: { description: "Every provider, by name.", body: OidcProviderListSchema } },
        errors,
      }),
      async (c) => c.json({ items: await listOidcProviders(c.env.DB, project(c)), next_cursor: null }),
    )
    .post(
      "/",
      route({
        summary: "Add an OpenID Connect provider",
        description:
          "Users sign in with it at `POST /v1/auth/oidc/:provider/start`. The provider is discovered from its issuer at the first sign-in.",
        auth,
        checks,
        ...(projectParams ? { params: projectParams } : {}),
        body: CreateOidcProviderBody,
        responses: { 201: { description: "The provider, without its client secret.", body: OidcProviderSchema } },
        errors: [...errors, "conflict"],
      }),
      async (c) => {
        const { name, ...settings } = c.req.valid("json");
        return c.json(await createOidcProvider(c.env.DB, project(c), name, settings), 201);
      },
    )
    .get(
      "/:name",
      route({
        summary: "Get an OpenID Connect provider",
        auth,
        checks,
        params,
        responses: { 200: { description: "The provider, without its client secret.", body: OidcProviderSchema } },
        errors: ["not_found"],
      }),
      async (c) => c.json(withoutSecret(await requireOidcProvider(c.env.DB, project(c), nameOf(c)))),
    )
    .patch(
      "/:name",
      route({
        summary: "Change an OpenID Connect provider",
        description: "Only the fields sent change (send `client_secret` to rotate it).",
        auth,
        checks,
        params,
        body: UpdateOidcProviderBody,
        responses: { 200: { description: "The provider, without its client secret.", body: OidcProviderSchema } },
        errors: ["not_found"],
      }),
      async (c) => c.json(await updateOidcProvider(c.env.DB, project(c), nameOf(c), c.req.valid("json"))),
    )
    .delete(
      "/:name",
      route({
        summary: "Remove an OpenID Connect provider",
        description:
          "Sign-ins in flight with it fail; users who signed in with it keep their accounts (and other ways in).",
        auth,
        checks,
        params,
        responses: { 204: { description: "Removed." } },
        errors: ["not_found"],
      }),
      async (c) => {
        await deleteOidcProvider(c.env.DB, project(c), nameOf(c));
        return c.body(null, 204);
      },
    );
}

/** `/v1/auth/oidc-providers` with a secret key. */
export const oidcProviderRoutes = providerRoutes({ auth: "secret", checks: [], project: (c) => c.var.auth.projectId });

/** `/v1/admin/projects/:projectId/oidc-providers` with the admin token. */
export const adminOidcProviderRoutes = new Hono<AppEnv>().route(
  "/projects/:projectId/oidc-providers",
  providerRoutes({
    auth: "admin",
    checks: [requireProjectParam],
    project: (c) => c.req.param("projectId") as string,
    projectParams: AdminProjectParams,
  }),
);

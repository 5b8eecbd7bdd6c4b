import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import type { AppEnv } from "../app-env";
import type { RouteAuth } from "../openapi/route";
import { getProject } from "../projects/project-store";

export const AdminProjectParams = z.object({ projectId: z.string().min(1).max(64) });

/** Who manages sites, and how the project is found: the secret key's, or the admin path's. */
export interface SiteMount {
  auth: RouteAuth;
  /** The path parameters above `/sites` (the admin mount's project id), if any. */
  projectParams?: typeof AdminProjectParams;
  checks: MiddlewareHandler<AppEnv>[];
  project(c: Context<AppEnv>): string;
}

/** The operator's mount checks that the project exists before anything else about the request. */
const requireProjectParam = createMiddleware<AppEnv>(async (c, next) => {
  const projectId = c.req.param("projectId") ?? "";
  if (!(await getProject(c.env.DB, projectId))) throw new ApiError("not_found", `No project with id "${projectId}".`);
  await next();
});

/** `/v1/sites…` with a project's secret key. */
export const SECRET_KEY_MOUNT: SiteMount = { auth: "secret", checks: [], project: (c) => c.var.auth.projectId };

/** `/v1/admin/projects/:projectId/sites…` with the admin token. */
export const ADMIN_MOUNT: SiteMount = {
  auth: "admin",
  checks: [requireProjectParam],
  project: (c) => c.req.param("projectId") as string,
  projectParams: AdminProjectParams,
};

/** The path parameters of a route of `mount`: the mount's own, then `extra`. */
export function mountParams<S extends z.ZodRawShape>(mount: SiteMount, extra: S) {
  return (mount.projectParams ?? z.object({})).extend(extra);
}

import { type Context, Hono, type MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { USER_ID_PATTERN, USER_ID_RULE } from "../../core/protocol/identifiers";
import {
  AccountUserSchema,
  CreateUserBody,
  UpdateUserBody,
  UserListQuery,
  UserPageSchema,
} from "../../core/rest/accounts";
import { getAuthSettings } from "../../data/accounts/settings";
import { deleteUser, listUsers, updateUser } from "../../data/accounts/user-admin";
import { createUser, PASSWORD_PROVIDER, requireAccountUser } from "../../data/accounts/users";
import { loginIdRule, normalizeLoginId } from "../accounts/login-ids";
import { configuredIterations, hashPassword } from "../accounts/password-hash";
import { assertPasswordAllowed } from "../accounts/password-policy";
import { pepperOf } from "../accounts/pepper";
import type { AppEnv } from "../app-env";
import { type RouteAuth, route } from "../openapi/route";
import { getProject } from "../projects/project-store";

const UserParams = z.object({ id: z.string().regex(USER_ID_PATTERN, `a user id: ${USER_ID_RULE}`) });
const AdminProjectParams = z.object({ projectId: z.string().min(1).max(64) });

/** The operator's mount checks that the project exists before anything else about the request. */
const requireProjectParam = createMiddleware<AppEnv>(async (c, next) => {
  const projectId = c.req.param("projectId") ?? "";
  if (!(await getProject(c.env.DB, projectId))) throw new ApiError("not_found", `No project with id "${projectId}".`);
  await next();
});

/** Who administers users, and how the project is found: the secret key's, or the path's. */
interface UserAdminMount {
  auth: RouteAuth;
  projectParams?: typeof AdminProjectParams;
  checks: MiddlewareHandler<AppEnv>[];
  project(c: Context<AppEnv>): string;
}

/**
 * The user admin endpoints, written once and mounted twice: for a project's secret key
 * (`/v1/auth/users`) and for the operator (`/v1/admin/projects/:projectId/users`).
 */
function userAdminRoutes({ auth, checks, project, projectParams }: UserAdminMount) {
  const errors = auth === "admin" ? (["not_found"] as const) : [];
  const params = projectParams ? projectParams.extend(UserParams.shape) : UserParams;
  const userOf = (c: Context<AppEnv>) => c.req.param("id") as string;
  return new Hono<AppEnv>()
    .get(
      "/",
      route({
        summary: "List the project's users",
        description: "Ordered by login id (guests, who have none, first), 50 a page by default.",
        auth,
        checks,
        ...(projectParams ? { params: projectParams } : {}),
        query: UserListQuery,
        responses: { 200: { description: "A page of users.", body: UserPageSchema } },
        errors,
      }),
      async (c) => {
        const query = c.req.valid("query");
        return c.json(
          await listUsers(c.env.DB, project(c), {
            cursor: query.cursor,
            limit: query.limit,
            prefix: query.login_id_prefix?.trim().toLowerCase(),
          }),
        );
      },
    )
    .post(
      "/",
      route({
        summary: "Create a user",
        description:
          "With a login id and, optionally, a password (the project's policy applies) and a role and claims. Without a password the user cannot sign in with one until it gets a reset token.",
        auth,
        checks,
        ...(projectParams ? { params: projectParams } : {}),
        body: CreateUserBody,
        responses: { 201: { description: "The user.", body: AccountUserSchema } },
        errors: [...errors, "identity_conflict", "weak_password", "not_configured"],
      }),
      async (c) => {
        const body = c.req.valid("json");
        const projectId = project(c);
        const { settings } = await getAuthSettings(c.env.DB, projectId);
        const loginId = normalizeLoginId(body.login_id, settings.login_id);
        if (!loginId) {
          throw new ApiError("invalid_request", `login_id must be ${loginIdRule(settings.login_id)}.`, {
            issues: [{ path: "login_id", message: `must be ${loginIdRule(settings.login_id)}` }],
          });
        }
        let passwordHash: string | null = null;
        if (body.password !== undefined) {
          assertPasswordAllowed(body.password, settings, loginId);
          passwordHash = await hashPassword(body.password, pepperOf(c.env), configuredIterations(c.env));
        }
        const user = await createUser(
          c.env.DB,
          projectId,
          {
            displayName: body.display_name ?? null,
            profile: body.profile ?? {},
            role: body.role ?? null,
            claims: body.claims ?? {},
            passwordHash,
            emailVerified: body.email_verified ?? false,
          },
          { provider: PASSWORD_PROVIDER, subject: loginId, email: settings.login_id === "email" ? loginId : null },
        );
        return c.json(user, 201);
      },
    )
    .get(
      "/:id",
      route({
        summary: "Get a user",
        auth,
        checks,
        params,
        responses: { 200: { description: "The user.", body: AccountUserSchema } },
        errors: ["not_found"],
      }),
      async (c) => c.json(await requireAccountUser(c.env.DB, project(c), userOf(c))),
    )
    .patch(
      "/:id",
      route({
        summary: "Change a user",
        description:
          "Role and claims go into the user's next access tokens (at the next refresh). `disabled: true` ends every session at once and refuses sign-ins and refreshes; access tokens already issued work until they expire (the project's access_token_ttl_seconds).",
        auth,
        checks,
        params,
        body: UpdateUserBody,
        responses: { 200: { description: "The user.", body: AccountUserSchema } },
        errors: ["not_found"],
      }),
      async (c) => c.json(await updateUser(c.env.DB, project(c), userOf(c), c.req.valid("json"))),
    )
    .delete(
      "/:id",
      route({
        summary: "Delete a user",
        description:
          "The user, its identities, sessions and tokens go; refreshes stop at once, access tokens already issued expire on their own. Its documents and files stay (they are the app's data; delete them by owner with the secret key).",
        auth,
        checks,
        params,
        responses: { 204: { description: "Deleted." } },
        errors: ["not_found"],
      }),
      async (c) => {
        const id = userOf(c);
        if (!(await deleteUser(c.env.DB, project(c), id))) {
          throw new ApiError("not_found", `No user with id "${id}".`, { user_id: id });
        }
        return c.body(null, 204);
      },
    );
}

/** `/v1/auth/users` with a secret key. */
export const accountUserRoutes = userAdminRoutes({ auth: "secret", checks: [], project: (c) => c.var.auth.projectId });

/** `/v1/admin/projects/:projectId/users` with the admin token. */
export const adminAccountUserRoutes = new Hono<AppEnv>().route(
  "/projects/:projectId/users",
  userAdminRoutes({
    auth: "admin",
    checks: [requireProjectParam],
    project: (c) => c.req.param("projectId") as string,
    projectParams: AdminProjectParams,
  }),
);

import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { CapabilityClaim } from "../../core/protocol/capabilities";
import {
  ApiKeyPageSchema,
  ApiKeySchema,
  CreatedApiKeySchema,
  CreatedProjectSchema,
  ProjectPageSchema,
  ProjectSchema,
  SigningKeyRotationSchema,
} from "../../core/rest/admin";
import type { AppEnv } from "../app-env";
import { MAX_TOKEN_TTL_SECONDS } from "../auth/tokens";
import { route } from "../openapi/route";
import {
  createApiKey,
  createProject,
  deleteProject,
  getProject,
  listApiKeys,
  listProjects,
  revokeApiKey,
  rotateSigningKey,
  updateProject,
} from "../projects/project-store";

const Origin = z.union([z.literal("*"), z.url({ protocol: /^https?$/ }).transform((url) => new URL(url).origin)]);
const AllowedOrigins = z.array(Origin).max(50);
const Name = z.string().trim().min(1).max(100);
/** A capability map for public keys; null restores the built-in default (everything). */
const ChannelCapabilities = CapabilityClaim.refine((map) => Object.keys(map).length <= 100, {
  message: "at most 100 channel patterns",
}).nullable();

const ProjectParams = z.object({ projectId: z.string().min(1).max(64) });
const KeyParams = ProjectParams.extend({ keyId: z.string().min(1).max(64) });

const CreateProjectBody = z.object({
  name: Name,
  allowed_origins: AllowedOrigins.default(["*"]),
  channel_capabilities: ChannelCapabilities.optional(),
});
const UpdateProjectBody = z.object({
  name: Name.optional(),
  allowed_origins: AllowedOrigins.optional(),
  channel_capabilities: ChannelCapabilities.optional(),
});
const ProjectsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** `next_cursor` of the previous page. */
  cursor: z.string().optional(),
});
const CreateKeyBody = z.object({ kind: z.enum(["public", "secret"]), name: Name.optional() });

async function requireProject(db: D1Database, id: string) {
  const project = await getProject(db, id);
  if (!project) throw new ApiError("not_found", `No project with id "${id}".`);
  return project;
}

/** `/v1/admin`: projects, their keys and their signing keys. Needs the ADMIN_TOKEN. */
export const adminRoutes = new Hono<AppEnv>()
  .post(
    "/projects",
    route({
      summary: "Create a project",
      description: "With one public key, one secret key and a signing key; the keys are shown once.",
      auth: "admin",
      body: CreateProjectBody,
      responses: { 201: { description: "The project and its keys.", body: CreatedProjectSchema } },
    }),
    async (c) => c.json(await createProject(c.env.DB, c.req.valid("json")), 201),
  )

  .get(
    "/projects",
    route({
      summary: "List projects",
      description: "Ordered by id; pass `next_cursor` back as `cursor` for the next page.",
      auth: "admin",
      query: ProjectsQuery,
      responses: { 200: { description: "A page of projects.", body: ProjectPageSchema } },
    }),
    async (c) => {
      const query = c.req.valid("query");
      return c.json(await listProjects(c.env.DB, { limit: query.limit, after: query.cursor }));
    },
  )

  .get(
    "/projects/:projectId",
    route({
      summary: "Get a project",
      auth: "admin",
      params: ProjectParams,
      responses: { 200: { description: "The project.", body: ProjectSchema } },
      errors: ["not_found"],
    }),
    async (c) => c.json(await requireProject(c.env.DB, c.req.valid("param").projectId)),
  )

  .patch(
    "/projects/:projectId",
    route({
      summary: "Update a project",
      description: "Only the fields sent change; `channel_capabilities: null` restores the default.",
      auth: "admin",
      params: ProjectParams,
      body: UpdateProjectBody,
      responses: { 200: { description: "The updated project.", body: ProjectSchema } },
      errors: ["not_found"],
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      const project = await updateProject(c.env.DB, projectId, c.req.valid("json"));
      if (!project) throw new ApiError("not_found", `No project with id "${projectId}".`);
      return c.json(project);
    },
  )

  .delete(
    "/projects/:projectId",
    route({
      summary: "Delete a project",
      description: "With everything it owns: keys, signing keys, documents, their change feed, settings and indexes.",
      auth: "admin",
      params: ProjectParams,
      responses: { 204: { description: "Deleted." } },
      errors: ["not_found"],
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      if (!(await deleteProject(c.env.DB, projectId))) {
        throw new ApiError("not_found", `No project with id "${projectId}".`);
      }
      return c.body(null, 204);
    },
  )

  .post(
    "/projects/:projectId/keys",
    route({
      summary: "Create a key",
      auth: "admin",
      params: ProjectParams,
      body: CreateKeyBody,
      responses: { 201: { description: "The key (shown once) and its listing.", body: CreatedApiKeySchema } },
      errors: ["not_found"],
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      await requireProject(c.env.DB, projectId);
      return c.json(await createApiKey(c.env.DB, projectId, c.req.valid("json")), 201);
    },
  )

  .get(
    "/projects/:projectId/keys",
    route({
      summary: "List a project's keys",
      description: "Revoked keys included (with `revoked_at`); the keys themselves are never shown again.",
      auth: "admin",
      params: ProjectParams,
      responses: { 200: { description: "Every key of the project.", body: ApiKeyPageSchema } },
      errors: ["not_found"],
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      await requireProject(c.env.DB, projectId);
      return c.json({ items: await listApiKeys(c.env.DB, projectId), next_cursor: null });
    },
  )

  .delete(
    "/projects/:projectId/keys/:keyId",
    route({
      summary: "Revoke a key",
      description: "It stops working on the next request. Revoking twice is harmless.",
      auth: "admin",
      params: KeyParams,
      responses: { 200: { description: "The revoked key.", body: ApiKeySchema } },
      errors: ["not_found"],
    }),
    async (c) => {
      const { projectId, keyId } = c.req.valid("param");
      const key = await revokeApiKey(c.env.DB, projectId, keyId);
      if (!key) throw new ApiError("not_found", `Project "${projectId}" has no key "${keyId}".`);
      return c.json(key);
    },
  )

  .post(
    "/projects/:projectId/signing-keys/rotate",
    route({
      summary: "Rotate the token signing key",
      description: "New tokens use the new key; tokens signed with the previous one stay valid until they expire.",
      auth: "admin",
      params: ProjectParams,
      responses: { 200: { description: "The new key id.", body: SigningKeyRotationSchema } },
      errors: ["not_found"],
    }),
    async (c) => {
      const { projectId } = c.req.valid("param");
      await requireProject(c.env.DB, projectId);
      const dropRetiredBefore = new Date(Date.now() - MAX_TOKEN_TTL_SECONDS * 1000).toISOString();
      return c.json(await rotateSigningKey(c.env.DB, projectId, dropRetiredBefore));
    },
  );

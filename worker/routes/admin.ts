import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { CapabilityClaim } from "../../core/protocol/capabilities";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth/admin";
import { MAX_TOKEN_TTL_SECONDS } from "../auth/tokens";
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
import { readJson, readParams, readQuery } from "../validation";

const Origin = z.union([z.literal("*"), z.url({ protocol: /^https?$/ }).transform((url) => new URL(url).origin)]);
const AllowedOrigins = z.array(Origin).max(50);
const Name = z.string().trim().min(1).max(100);
/** A capability map for public keys; null restores the built-in default (everything). */
const ChannelCapabilities = CapabilityClaim.refine((map) => Object.keys(map).length <= 100, {
  message: "at most 100 channel patterns",
}).nullable();

const ProjectParams = z.object({ projectId: z.string().min(1).max(64) });
const KeyParams = ProjectParams.extend({ keyId: z.string().min(1).max(64) });

async function requireProject(db: D1Database, id: string) {
  const project = await getProject(db, id);
  if (!project) throw new ApiError("not_found", `No project with id "${id}".`);
  return project;
}

/** `/v1/admin`: projects, their keys and their signing keys. Needs the ADMIN_TOKEN. */
export const adminRoutes = new Hono<AppEnv>()
  .use(requireAdmin)

  .post("/projects", async (c) => {
    const body = await readJson(
      c,
      z.object({
        name: Name,
        allowed_origins: AllowedOrigins.default(["*"]),
        channel_capabilities: ChannelCapabilities.optional(),
      }),
    );
    return c.json(await createProject(c.env.DB, body), 201);
  })

  .get("/projects", async (c) => {
    const query = readQuery(
      c,
      z.object({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: z.string().optional() }),
    );
    return c.json(await listProjects(c.env.DB, { limit: query.limit, after: query.cursor }));
  })

  .get("/projects/:projectId", async (c) => {
    const { projectId } = readParams(c, ProjectParams);
    return c.json(await requireProject(c.env.DB, projectId));
  })

  .patch("/projects/:projectId", async (c) => {
    const { projectId } = readParams(c, ProjectParams);
    const patch = await readJson(
      c,
      z.object({
        name: Name.optional(),
        allowed_origins: AllowedOrigins.optional(),
        channel_capabilities: ChannelCapabilities.optional(),
      }),
    );
    const project = await updateProject(c.env.DB, projectId, patch);
    if (!project) throw new ApiError("not_found", `No project with id "${projectId}".`);
    return c.json(project);
  })

  .delete("/projects/:projectId", async (c) => {
    const { projectId } = readParams(c, ProjectParams);
    if (!(await deleteProject(c.env.DB, projectId))) {
      throw new ApiError("not_found", `No project with id "${projectId}".`);
    }
    return c.body(null, 204);
  })

  .post("/projects/:projectId/keys", async (c) => {
    const { projectId } = readParams(c, ProjectParams);
    const body = await readJson(c, z.object({ kind: z.enum(["public", "secret"]), name: Name.optional() }));
    await requireProject(c.env.DB, projectId);
    return c.json(await createApiKey(c.env.DB, projectId, body), 201);
  })

  .get("/projects/:projectId/keys", async (c) => {
    const { projectId } = readParams(c, ProjectParams);
    await requireProject(c.env.DB, projectId);
    return c.json({ items: await listApiKeys(c.env.DB, projectId), next_cursor: null });
  })

  .delete("/projects/:projectId/keys/:keyId", async (c) => {
    const { projectId, keyId } = readParams(c, KeyParams);
    const key = await revokeApiKey(c.env.DB, projectId, keyId);
    if (!key) throw new ApiError("not_found", `Project "${projectId}" has no key "${keyId}".`);
    return c.json(key);
  })

  .post("/projects/:projectId/signing-keys/rotate", async (c) => {
    const { projectId } = readParams(c, ProjectParams);
    await requireProject(c.env.DB, projectId);
    const dropRetiredBefore = new Date(Date.now() - MAX_TOKEN_TTL_SECONDS * 1000).toISOString();
    return c.json(await rotateSigningKey(c.env.DB, projectId, dropRetiredBefore));
  });

import { type Context, Hono, type MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { BUCKET_NAME } from "../../core/files/path";
import {
  BucketPageSchema,
  BucketRecordSchema,
  DeletedBucketSchema,
  StorageUsageSchema,
} from "../../core/files/wire-schemas";
import { MAX_FILTER_LENGTH } from "../../core/query";
import { validateBucketRules } from "../../data/files/access";
import {
  type BucketSettings,
  createBucket,
  DEFAULT_BUCKET_SETTINGS,
  deleteBucket,
  listBuckets,
  requireBucket,
  updateBucket,
} from "../../data/files/buckets";
import { bucketKeyPrefix } from "../../data/files/object-key";
import { getStorageUsage, setStorageQuota } from "../../data/files/usage";
import type { AppEnv } from "../app-env";
import { type RouteAuth, route } from "../openapi/route";
import { getProject } from "../projects/project-store";

const RuleText = z.string().trim().min(1).max(MAX_FILTER_LENGTH).nullable().optional();
/** Rule texts per operation (null or absent: only secret keys). */
const BucketRulesBody = z.strictObject({ read: RuleText, create: RuleText, update: RuleText, delete: RuleText });
const ContentTypePattern = z
  .string()
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/i, "a media type such as image/png or image/*");

const SettingsFields = {
  public: z.boolean(),
  max_file_bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
  allowed_content_types: z.array(ContentTypePattern).max(100).nullable(),
  cache_control: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .regex(/^[\x20-\x7e]+$/, "printable ASCII")
    .nullable(),
  rules: BucketRulesBody,
};

/** `POST /v1/storage/buckets` body. */
export const CreateBucketBody = z.strictObject({
  name: z.string().regex(BUCKET_NAME, "1-63 lowercase letters, digits, - or _, starting with a letter or digit"),
  ...Object.fromEntries(Object.entries(SettingsFields).map(([key, schema]) => [key, schema.optional()])),
}) as z.ZodType<{ name: string } & Partial<BucketSettingsInput>>;

/** `PATCH /v1/storage/buckets/:bucket` body: the fields to change. */
export const UpdateBucketBody = z.strictObject(
  Object.fromEntries(Object.entries(SettingsFields).map(([key, schema]) => [key, schema.optional()])),
) as z.ZodType<Partial<BucketSettingsInput>>;

type BucketSettingsInput = {
  [K in keyof typeof SettingsFields]: z.output<(typeof SettingsFields)[K]>;
};

/** `PUT /v1/admin/projects/:projectId/storage` body. */
export const StorageQuotaBody = z.strictObject({
  quota_bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
});

const DeleteBucketQuery = z.object({ force: z.enum(["true", "false"]).default("false") });

/** A request's settings over the current ones; rules keep only the operations that have text. */
function mergeSettings(current: BucketSettings, input: Partial<BucketSettingsInput>): BucketSettings {
  const rules = input.rules
    ? Object.fromEntries(Object.entries(input.rules).filter(([, text]) => typeof text === "string"))
    : current.rules;
  const merged: BucketSettings = {
    public: input.public ?? current.public,
    max_file_bytes: input.max_file_bytes === undefined ? current.max_file_bytes : input.max_file_bytes,
    allowed_content_types:
      input.allowed_content_types === undefined ? current.allowed_content_types : input.allowed_content_types,
    cache_control: input.cache_control === undefined ? current.cache_control : input.cache_control,
    rules,
  };
  validateBucketRules(merged.rules);
  return merged;
}

/**
 * Removes the bytes of a deleted bucket, a page at a time, after the answer; whatever is left
 * (a very large bucket) the orphan sweep finds, since no row names it any more.
 */
async function deleteBucketBytes(bucket: R2Bucket, prefix: string): Promise<void> {
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const listed = await bucket.list({ prefix, limit: 1000, ...(cursor ? { cursor } : {}) });
    if (listed.objects.length > 0) await bucket.delete(listed.objects.map((object) => object.key));
    if (!listed.truncated) return;
    cursor = listed.cursor;
  }
}

const BucketName = z
  .string()
  .regex(BUCKET_NAME, "1-63 lowercase letters, digits, - or _, starting with a letter or digit");
const BucketParams = z.object({ bucket: BucketName });
const AdminProjectParams = z.object({ projectId: z.string().min(1).max(64) });

/** The operator's mount checks that the project exists before anything else about the request. */
const requireProjectParam = createMiddleware<AppEnv>(async (c, next) => {
  const projectId = c.req.param("projectId") ?? "";
  if (!(await getProject(c.env.DB, projectId))) throw new ApiError("not_found", `No project with id "${projectId}".`);
  await next();
});

/** Who manages buckets, and how the project is found: the key's, or the path's. */
interface BucketMount {
  auth: RouteAuth;
  /** The path parameters above `/:bucket` (the admin mount's project id), if any. */
  projectParams?: typeof AdminProjectParams;
  checks: MiddlewareHandler<AppEnv>[];
  project(c: Context<AppEnv>): string;
}

/**
 * The bucket endpoints, written once and mounted twice: for a project's secret key
 * (`/v1/storage/buckets`) and for the operator (`/v1/admin/projects/:projectId/buckets`).
 */
function bucketRoutes({ auth, checks, project, projectParams }: BucketMount) {
  const errors = auth === "admin" ? (["not_found"] as const) : [];
  const listParams = projectParams;
  const params = projectParams ? projectParams.extend(BucketParams.shape) : BucketParams;
  // Validated by route(); read back by name so both mounts share one handler.
  const bucketOf = (c: Context<AppEnv>) => c.req.param("bucket") as string;
  return new Hono<AppEnv>()
    .get(
      "/",
      route({
        summary: "List the project's buckets",
        auth,
        checks,
        ...(listParams ? { params: listParams } : {}),
        responses: { 200: { description: "Every bucket, by name.", body: BucketPageSchema } },
        errors,
      }),
      async (c) => c.json({ items: await listBuckets(c.env.DB, project(c)), next_cursor: null }),
    )
    .post(
      "/",
      route({
        summary: "Create a bucket",
        description: "Settings left out take their defaults: private, no size or type limit, no rules.",
        auth,
        checks,
        ...(listParams ? { params: listParams } : {}),
        body: CreateBucketBody,
        responses: { 201: { description: "The bucket.", body: BucketRecordSchema } },
        errors: [...errors, "conflict", "invalid_filter"],
      }),
      async (c) => {
        const body = c.req.valid("json");
        const settings = mergeSettings(DEFAULT_BUCKET_SETTINGS, body);
        return c.json(await createBucket(c.env.DB, project(c), body.name, settings), 201);
      },
    )
    .get(
      "/:bucket",
      route({
        summary: "Get a bucket",
        auth,
        checks,
        params,
        responses: { 200: { description: "The bucket.", body: BucketRecordSchema } },
        errors: ["not_found"],
      }),
      async (c) => c.json(await requireBucket(c.env.DB, project(c), bucketOf(c))),
    )
    .patch(
      "/:bucket",
      route({
        summary: "Change a bucket's settings",
        description: "Only the fields sent change; `rules` replaces every rule (operations left out are removed).",
        auth,
        checks,
        params,
        body: UpdateBucketBody,
        responses: { 200: { description: "The bucket.", body: BucketRecordSchema } },
        errors: ["not_found", "invalid_filter"],
      }),
      async (c) => {
        const projectId = project(c);
        const name = bucketOf(c);
        const current = await requireBucket(c.env.DB, projectId, name);
        return c.json(await updateBucket(c.env.DB, projectId, name, mergeSettings(current, c.req.valid("json"))));
      },
    )
    .delete(
      "/:bucket",
      route({
        summary: "Delete a bucket",
        description: "Only an empty bucket, unless `force=true`: then its files go too (their bytes after the answer).",
        auth,
        checks,
        params,
        query: DeleteBucketQuery,
        responses: { 200: { description: "Deleted.", body: DeletedBucketSchema } },
        errors: ["not_found", "conflict"],
      }),
      async (c) => {
        const projectId = project(c);
        const name = bucketOf(c);
        await deleteBucket(c.env.DB, projectId, name, c.req.valid("query").force === "true");
        c.executionCtx.waitUntil(deleteBucketBytes(c.env.BUCKET, bucketKeyPrefix(projectId, name)));
        return c.json({ name, deleted: true as const });
      },
    );
}

/** `/v1/storage/buckets` with a secret key. */
export const storageBucketRoutes = bucketRoutes({ auth: "secret", checks: [], project: (c) => c.var.auth.projectId });

/** `/v1/storage/usage` with a secret key: bytes and files stored, and the quota. */
export const storageUsageRoutes = new Hono<AppEnv>().get(
  "/",
  route({
    summary: "The project's storage usage and quota",
    auth: "secret",
    responses: { 200: { description: "Bytes and files stored, and the quota.", body: StorageUsageSchema } },
  }),
  async (c) => c.json(await getStorageUsage(c.env.DB, c.var.auth.projectId)),
);

const adminProject = (c: Context<AppEnv>) => c.req.param("projectId") as string;

/**
 * `/v1/admin/projects/:projectId/buckets` and `/v1/admin/projects/:projectId/storage` (usage and
 * quota) with the admin token.
 */
export const adminStorageRoutes = new Hono<AppEnv>()
  .route(
    "/projects/:projectId/buckets",
    bucketRoutes({
      auth: "admin",
      checks: [requireProjectParam],
      project: adminProject,
      projectParams: AdminProjectParams,
    }),
  )
  .get(
    "/projects/:projectId/storage",
    route({
      summary: "A project's storage usage and quota",
      auth: "admin",
      checks: [requireProjectParam],
      params: AdminProjectParams,
      responses: { 200: { description: "Bytes and files stored, and the quota.", body: StorageUsageSchema } },
      errors: ["not_found"],
    }),
    async (c) => c.json(await getStorageUsage(c.env.DB, adminProject(c))),
  )
  .put(
    "/projects/:projectId/storage",
    route({
      summary: "Set a project's storage quota",
      description: "`quota_bytes: null` removes the quota. Uploads past it fail with `quota_exceeded`.",
      auth: "admin",
      checks: [requireProjectParam],
      params: AdminProjectParams,
      body: StorageQuotaBody,
      responses: { 200: { description: "Usage and the new quota.", body: StorageUsageSchema } },
      errors: ["not_found"],
    }),
    async (c) => c.json(await setStorageQuota(c.env.DB, adminProject(c), c.req.valid("json").quota_bytes)),
  );

import { type Context, Hono, type MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { BUCKET_NAME } from "../../core/files/path";
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
import { requireAdmin } from "../auth/admin";
import { requireAuth, requireSecretKey } from "../auth/auth-context";
import { getProject } from "../projects/project-store";
import { readJson, readQuery } from "../validation";
import { bucketParam } from "./storage-caller";

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

/**
 * The bucket endpoints, written once and mounted twice: for a project's secret key
 * (`/v1/storage/buckets`) and for the operator (`/v1/admin/projects/:projectId/buckets`).
 */
function bucketRoutes(guard: MiddlewareHandler<AppEnv>, project: (c: Context<AppEnv>) => Promise<string>) {
  return new Hono<AppEnv>()
    .use("/", guard)
    .use("/:bucket", guard)
    .get("/", async (c) => c.json({ items: await listBuckets(c.env.DB, await project(c)), next_cursor: null }))
    .post("/", async (c) => {
      const projectId = await project(c);
      const body = await readJson(c, CreateBucketBody);
      const settings = mergeSettings(DEFAULT_BUCKET_SETTINGS, body);
      return c.json(await createBucket(c.env.DB, projectId, body.name, settings), 201);
    })
    .get("/:bucket", async (c) => c.json(await requireBucket(c.env.DB, await project(c), bucketParam(c))))
    .patch("/:bucket", async (c) => {
      const projectId = await project(c);
      const name = bucketParam(c);
      const body = await readJson(c, UpdateBucketBody);
      const current = await requireBucket(c.env.DB, projectId, name);
      return c.json(await updateBucket(c.env.DB, projectId, name, mergeSettings(current, body)));
    })
    .delete("/:bucket", async (c) => {
      const projectId = await project(c);
      const name = bucketParam(c);
      const { force } = readQuery(c, DeleteBucketQuery);
      await deleteBucket(c.env.DB, projectId, name, force === "true");
      c.executionCtx.waitUntil(deleteBucketBytes(c.env.BUCKET, bucketKeyPrefix(projectId, name)));
      return c.json({ name, deleted: true });
    });
}

/** A secret key of the project (authenticates, then insists on sk_). */
const requireSecret = createMiddleware<AppEnv>(async (c, next) => {
  await requireAuth(c, async () => {
    await requireSecretKey(c, next);
  });
});

/** `/v1/storage/buckets` with a secret key. */
export const storageBucketRoutes = bucketRoutes(requireSecret, async (c) => c.var.auth.projectId);

/** `/v1/storage/usage` with a secret key: bytes and files stored, and the quota. */
export const storageUsageRoutes = new Hono<AppEnv>().get("/", requireSecret, async (c) =>
  c.json(await getStorageUsage(c.env.DB, c.var.auth.projectId)),
);

async function adminProject(c: Context<AppEnv>): Promise<string> {
  const projectId = c.req.param("projectId") ?? "";
  if (!(await getProject(c.env.DB, projectId))) throw new ApiError("not_found", `No project with id "${projectId}".`);
  return projectId;
}

/**
 * `/v1/admin/projects/:projectId/buckets` and `/v1/admin/projects/:projectId/storage` (usage and
 * quota) with the admin token.
 */
export const adminStorageRoutes = new Hono<AppEnv>()
  .route("/projects/:projectId/buckets", bucketRoutes(requireAdmin, adminProject))
  .get("/projects/:projectId/storage", requireAdmin, async (c) =>
    c.json(await getStorageUsage(c.env.DB, await adminProject(c))),
  )
  .put("/projects/:projectId/storage", requireAdmin, async (c) => {
    const projectId = await adminProject(c);
    const { quota_bytes } = await readJson(c, StorageQuotaBody);
    return c.json(await setStorageQuota(c.env.DB, projectId, quota_bytes));
  });

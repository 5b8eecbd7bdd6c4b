import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { BUCKET_NAME } from "../../core/files/path";
import type { BucketRecord, FileMetadata } from "../../core/files/wire";
import { TUS_CONTENT_TYPE, TUS_EXTENSIONS, TUS_VERSION, type UploadView } from "../../core/protocol/tus";
import { BASE36, randomString } from "../../core/random";
import { UploadViewSchema } from "../../core/rest/uploads";
import { FileAccess } from "../../data/files/access";
import { requireBucket } from "../../data/files/buckets";
import { fileAttributes, getFileRow } from "../../data/files/files";
import { objectKey } from "../../data/files/object-key";
import { assertWithinQuota } from "../../data/files/usage";
import { MAX_UPLOAD_BYTES } from "../../durable-objects/upload/upload-plan";
import {
  type UploadOwner,
  type UploadResult,
  type UploadStatus,
  uploadObjectName,
} from "../../durable-objects/upload/upload-record";
import type { AppEnv } from "../app-env";
import type { AuthContext } from "../auth/auth-context";
import { type ErrorSpec, route } from "../openapi/route";
import { assertChunkType, describeFile, hasBody, headerInteger, uploadLength } from "./storage-uploads-headers";

/** Upload ids: 24 base-36 characters (~124 bits), unguessable. */
const UPLOAD_ID = /^[0-9a-z]{24}$/;

const BucketParams = z.object({ bucket: z.string().regex(BUCKET_NAME, "a bucket name") });
/** Any id is looked up (an id that cannot exist is `not_found`, like one that does not). */
const UploadParams = BucketParams.extend({ id: z.string() });

const TUS_NOTE = `tus ${TUS_VERSION} (core, creation, creation-with-upload, termination, expiration): every request but OPTIONS sends \`Tus-Resumable: ${TUS_VERSION}\` (412 otherwise).`;
const FINISH_ERRORS: readonly ErrorSpec[] = ["not_found", "forbidden", "quota_exceeded", "precondition_failed"];
const CREATE_ERRORS: readonly ErrorSpec[] = [
  ...FINISH_ERRORS,
  "invalid_path",
  "unsupported_media_type",
  "file_too_large",
];
const PATCH_ERRORS: readonly ErrorSpec[] = [...FINISH_ERRORS, "conflict", "unsupported_media_type"];

/**
 * The tus 1.0.0 headers of an `OPTIONS` discovery answer. The CORS middleware answers every
 * OPTIONS request itself (preflights carry no credentials and never reach a route), so this
 * middleware runs before it and adds the tus headers to whatever it answered.
 */
export const tusDiscovery = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.req.method !== "OPTIONS") return;
  c.res.headers.set("Tus-Resumable", TUS_VERSION);
  c.res.headers.set("Tus-Version", TUS_VERSION);
  c.res.headers.set("Tus-Extension", TUS_EXTENSIONS.join(","));
  c.res.headers.set("Tus-Max-Size", String(MAX_UPLOAD_BYTES));
});

/**
 * Every tus request but OPTIONS names the protocol version (412 otherwise, with the versions the
 * server speaks), and every answer, errors included, carries `Tus-Resumable`.
 */
const tusResumable = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.header("Tus-Resumable") !== TUS_VERSION) {
    c.header("Tus-Version", TUS_VERSION);
    c.header("Tus-Resumable", TUS_VERSION);
    throw new ApiError(
      "precondition_failed",
      `This is a tus ${TUS_VERSION} endpoint: send Tus-Resumable: ${TUS_VERSION} (tus-js-client and Uppy do).`,
      { tus_version: TUS_VERSION },
    );
  }
  await next();
  c.res.headers.set("Tus-Resumable", TUS_VERSION);
  c.res.headers.set("Cache-Control", "no-store");
});

/**
 * `/v1/storage/buckets/:bucket/uploads`: resumable uploads over tus 1.0.0 (core, creation,
 * creation-with-upload, termination, expiration), so tus-js-client and Uppy work unchanged. The
 * final file's path comes from `Upload-Metadata` (`path`, else `filename`), its content type from
 * `contentType` or `filetype`; its other metadata keys become the file's custom metadata. Rules
 * are checked when the upload is created (with `Upload-Length` as the size) and again when the
 * last byte is in; then the file is an ordinary file. The bytes go through one Upload Durable
 * Object per upload (durable-objects/upload/upload.ts).
 */
export const storageUploadRoutes = new Hono<AppEnv>()
  .use("/:bucket/uploads/*", tusResumable)
  .use("/:bucket/uploads", tusResumable)

  .post(
    "/:bucket/uploads",
    route({
      summary: "Create a resumable upload (tus)",
      description: `${TUS_NOTE} Headers: \`Upload-Length\` (the file's size), \`Upload-Metadata\` (\`path\` or \`filename\`, \`contentType\` or \`filetype\`, other keys become the file's metadata). The bucket's rules, size and type limits and the quota are checked now, with \`Upload-Length\` as the size. With a body (\`Content-Type: ${TUS_CONTENT_TYPE}\`) the first chunk comes along (creation-with-upload).`,
      auth: "project",
      params: BucketParams,
      responses: {
        201: {
          description: "Created; a body was stored as the first chunk.",
          headers: {
            Location: "The upload's URL (HEAD, PATCH, DELETE).",
            "Upload-Offset": "Bytes stored (with a first chunk).",
            "Upload-Expires": "When the unfinished upload expires.",
          },
        },
      },
      errors: CREATE_ERRORS,
    }),
    async (c) => {
      const auth = c.var.auth;
      const bucket = await requireBucket(c.env.DB, auth.projectId, c.req.valid("param").bucket);
      const length = uploadLength(c.req.header("Upload-Length"), c.req.header("Upload-Defer-Length"));
      const rawMetadata = c.req.header("Upload-Metadata") ?? null;
      const file = describeFile(bucket, rawMetadata, length);
      const withUpload = hasBody(c);
      if (withUpload) assertChunkType(c.req.header("Content-Type"));
      await assertMayWrite(c, bucket, file);

      const uploadId = randomString(24, BASE36);
      const stub = uploadStub(c.env, auth.projectId, uploadId);
      let status = settle(
        await stub.create({
          upload_id: uploadId,
          project_id: auth.projectId,
          bucket: bucket.name,
          path: file.path,
          key: objectKey(auth.projectId, bucket.name, file.path, uploadId),
          content_type: file.content_type,
          metadata: file.metadata,
          tus_metadata: rawMetadata,
          length,
          owner: ownerOf(auth),
        }),
      );
      c.header("Location", `${new URL(c.req.url).origin}/v1/storage/buckets/${bucket.name}/uploads/${uploadId}`);
      if (withUpload) status = settle(await stub.append(0, c.req.raw.body));
      status = await finishIfComplete(c, stub, status);
      return c.body(null, 201, offsetHeaders(status, withUpload));
    },
  )

  // Also answers HEAD (Hono routes HEAD to GET and drops the body), as tus clients ask.
  .get(
    "/:bucket/uploads/:id",
    route({
      summary: "Get a resumable upload's offset (tus HEAD)",
      description: `${TUS_NOTE} HEAD answers \`Upload-Offset\`, \`Upload-Length\` and \`Upload-Metadata\`; GET also the upload as JSON, with the file once complete. An upload whose last bytes are in but whose file was not written yet (the last answer was lost) is finished here.`,
      auth: "project",
      params: UploadParams,
      responses: {
        200: {
          description: "Where the upload stands.",
          body: UploadViewSchema,
          headers: { "Upload-Offset": "Bytes stored.", "Upload-Length": "The file's size." },
        },
      },
      errors: FINISH_ERRORS,
    }),
    async (c) => {
      const { stub, status: found } = await ownUpload(c);
      const status = await finishIfComplete(c, stub, found);
      const headers: Record<string, string> = {
        ...offsetHeaders(status, true),
        "Upload-Length": String(status.length),
      };
      if (status.tus_metadata) headers["Upload-Metadata"] = status.tus_metadata;
      return c.json(uploadView(status), 200, headers);
    },
  )

  .patch(
    "/:bucket/uploads/:id",
    route({
      summary: "Send a chunk of a resumable upload (tus PATCH)",
      description: `${TUS_NOTE} \`Content-Type: ${TUS_CONTENT_TYPE}\`, \`Upload-Offset\` = the stored offset (409 \`conflict\` with \`details.offset\` otherwise). Any chunk size; what arrives before a connection cut is kept. The last chunk makes the file (rules checked again).`,
      auth: "project",
      params: UploadParams,
      responses: { 204: { description: "Stored.", headers: { "Upload-Offset": "Bytes stored." } } },
      errors: PATCH_ERRORS,
    }),
    (c) => patchUpload(c),
  )

  .delete(
    "/:bucket/uploads/:id",
    route({
      summary: "Terminate a resumable upload (tus)",
      description: `${TUS_NOTE} Drops the stored bytes and aborts the R2 multipart upload; a finished upload's file stays.`,
      auth: "project",
      params: UploadParams,
      responses: { 204: { description: "Terminated." } },
      errors: ["not_found"],
    }),
    (c) => terminateUpload(c),
  )

  .post(
    "/:bucket/uploads/:id",
    route({
      summary: "PATCH or DELETE a resumable upload by X-HTTP-Method-Override",
      description: `${TUS_NOTE} For clients behind proxies that pass only GET and POST: \`X-HTTP-Method-Override: PATCH\` or \`DELETE\`.`,
      auth: "project",
      params: UploadParams,
      responses: { 204: { description: "As PATCH or DELETE." } },
      errors: [...PATCH_ERRORS, "method_not_allowed"],
    }),
    (c) => {
      const method = c.req.header("X-HTTP-Method-Override")?.toUpperCase();
      if (method === "PATCH") return patchUpload(c);
      if (method === "DELETE") return terminateUpload(c);
      throw new ApiError(
        "method_not_allowed",
        "An upload takes HEAD, PATCH and DELETE (POST creates one at …/uploads).",
      );
    },
  );

type UploadContext = Context<AppEnv>;
type UploadStub = ReturnType<typeof uploadStub>;

async function patchUpload(c: UploadContext) {
  assertChunkType(c.req.header("Content-Type"));
  const offset = headerInteger(c.req.header("Upload-Offset"), "Upload-Offset");
  const { stub, status: found } = await ownUpload(c);
  const declared = c.req.header("Content-Length");
  if (declared !== undefined && offset + Number(declared) > found.length) {
    throw new ApiError("invalid_request", `The chunk goes past Upload-Length (${found.length} bytes).`, {
      offset,
      length: found.length,
    });
  }
  let status = settle(await stub.append(offset, c.req.raw.body));
  status = await finishIfComplete(c, stub, status);
  return c.body(null, 204, offsetHeaders(status, true));
}

async function terminateUpload(c: UploadContext) {
  const { stub } = await ownUpload(c);
  settle(await stub.terminate());
  return c.body(null, 204);
}

/** The caller's upload, or `not_found` (also when someone else's: its existence is not revealed). */
async function ownUpload(c: UploadContext): Promise<{ stub: UploadStub; status: UploadStatus }> {
  const id = c.req.param("id") ?? "";
  const auth = c.var.auth;
  const notFound = new ApiError(
    "not_found",
    `No upload "${id}" in this bucket: it was terminated, expired, or never existed.`,
  );
  if (!UPLOAD_ID.test(id)) throw notFound;
  const stub = uploadStub(c.env, auth.projectId, id);
  const result = await stub.status();
  if (!result.status || result.status.bucket !== c.req.param("bucket") || !mayContinue(auth, result.status.owner)) {
    throw notFound;
  }
  return { stub, status: result.status };
}

/**
 * When every byte is in: checks the bucket's rules again (they, the bucket or the file at the
 * path may have changed since the upload began), then has the upload object complete the file
 * in R2 and write its row, so the file is listed only once R2 holds it. Idempotent: a client that
 * lost the final answer and asks again (HEAD) finishes a half-finished upload.
 */
async function finishIfComplete(c: UploadContext, stub: UploadStub, status: UploadStatus): Promise<UploadStatus> {
  if (status.phase === "committed" || status.offset < status.length) return status;
  if (status.phase === "receiving") {
    const bucket = await requireBucket(c.env.DB, status.project_id, status.bucket);
    try {
      await assertMayWrite(c, bucket, status);
    } catch (error) {
      settle(await stub.terminate());
      throw error;
    }
  }
  return settle(await stub.store(new URL(c.req.url).origin));
}

/**
 * The bucket's create (new path) or update (existing path) rule, and the project's quota. A file
 * the read rule hides from the caller is `not_found` to them, as with a plain upload.
 */
async function assertMayWrite(
  c: UploadContext,
  bucket: BucketRecord,
  file: { path: string; content_type: string; metadata: FileMetadata; length: number },
) {
  const auth = c.var.auth;
  const existing = await getFileRow(c.env.DB, auth.projectId, bucket.name, file.path);
  const access = new FileAccess(bucket, auth);
  if (existing && access.hides(fileAttributes(existing))) {
    throw new ApiError("not_found", `No file at "${file.path}".`, { path: file.path });
  }
  access.assert(existing ? "update" : "create", {
    path: file.path,
    size: file.length,
    content_type: file.content_type,
    metadata: file.metadata,
  });
  await assertWithinQuota(c.env.DB, auth.projectId, file.length, existing?.size ?? 0);
}

function offsetHeaders(status: UploadStatus, withOffset: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  if (withOffset) headers["Upload-Offset"] = String(status.offset);
  if (status.phase === "receiving") headers["Upload-Expires"] = new Date(status.expires_at).toUTCString();
  return headers;
}

function uploadView(status: UploadStatus): UploadView {
  return {
    id: status.upload_id,
    bucket: status.bucket,
    path: status.path,
    content_type: status.content_type,
    length: status.length,
    offset: status.offset,
    complete: status.phase === "committed",
    expires_at: status.phase === "receiving" ? new Date(status.expires_at).toISOString() : null,
    file: status.file,
  };
}

function ownerOf(auth: AuthContext): UploadOwner {
  return { kind: auth.kind, user_id: auth.userId };
}

/** The creator continues their upload; a secret key may continue any upload of its project. */
function mayContinue(auth: AuthContext, owner: UploadOwner): boolean {
  return auth.kind === "secret" || (auth.kind === owner.kind && auth.userId === owner.user_id);
}

/** Turns an upload object's answer into its status, or throws its error as the API's error. */
function settle(result: UploadResult): UploadStatus {
  if (result.error) throw new ApiError(result.error.code, result.error.message, result.error.details);
  return result.status as UploadStatus;
}

function uploadStub(env: Env, projectId: string, uploadId: string) {
  return env.UPLOAD.get(env.UPLOAD.idFromName(uploadObjectName(projectId, uploadId)));
}

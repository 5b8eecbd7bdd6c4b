import { Hono } from "hono";
import { z } from "zod";
import { newDocumentId } from "../../core/documents/names";
import { ApiError } from "../../core/errors";
import { BUCKET_NAME, MAX_FILE_PATH_BYTES } from "../../core/files/path";
import type { FileMetadata } from "../../core/files/wire";
import {
  DeletedFileSchema,
  DeletedFilesSchema,
  FileListSchema,
  FileRecordSchema,
  SignedUrlSchema,
} from "../../core/files/wire-schemas";
import { deleteFileRows, fileAttributes, getFileRow, toFileRecord, updateFileMetadata } from "../../data/files/files";
import { listFiles } from "../../data/files/list-files";
import { MAX_SIGNED_URL_SECONDS, signGrant } from "../../data/files/signed-urls";
import type { AppEnv } from "../app-env";
import { type ErrorSpec, route } from "../openapi/route";
import { checkedPath, filePathFromUrl, resolveFileCaller } from "./storage-caller";
import { streamFile } from "./storage-download";
import { checkMetadata, contentTypeAllowed, storeUpload } from "./storage-upload";

/** `GET …/objects` query. */
export const ListObjectsQuery = z.object({
  prefix: z.string().max(MAX_FILE_PATH_BYTES).default(""),
  delimiter: z.literal("/").optional(),
  cursor: z.string().max(2048).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** `POST …/objects` query: the folder the generated id goes in (`avatars/`), if any. */
export const UploadByIdQuery = z.object({
  folder: z
    .string()
    .max(MAX_FILE_PATH_BYTES - 40)
    .optional(),
});

/** `PATCH …/metadata/<path>` body: keys to set, or null to remove; a new content type. */
export const UpdateMetadataBody = z.strictObject({
  metadata: z.record(z.string(), z.string().nullable()).optional(),
  content_type: z.string().trim().min(1).max(255).optional(),
});

/** `POST …/delete` body. */
export const DeleteManyBody = z.strictObject({ paths: z.array(z.string()).min(1).max(1000) });

/** `POST …/sign` body. */
export const SignBody = z.strictObject({
  path: z.string(),
  method: z.enum(["GET", "PUT"]).default("GET"),
  expires_in: z.number().int().min(1).max(MAX_SIGNED_URL_SECONDS).default(3600),
});

const OBJECTS = "/objects/";
const METADATA = "/metadata/";

const Params = z.object({ bucket: z.string().regex(BUCKET_NAME, "a bucket name") });
/** The routes ending in `/*`: the file's path, slashes included (read from the raw URL). */
const FileParams = Params.extend({
  path: z.string().optional().meta({ description: "The file's path in the bucket, e.g. users/42/avatar.png" }),
});

/** Object routes resolve their caller themselves (storage-caller.ts), so the route declares no auth. */
const CALLER_NOTE =
  "Credentials: a key or user token (rules apply unless it is a secret key), a signed URL's `project`, `expires` and `signature` parameters, or none with `?project=<id>` for a public bucket's reads.";
const CALLER_ERRORS: ErrorSpec[] = ["unauthorized", "token_expired", "origin_not_allowed", "forbidden", "not_found"];
const UPLOAD_ERRORS: ErrorSpec[] = [
  ...CALLER_ERRORS,
  "invalid_request",
  "invalid_path",
  { code: "invalid_request", status: 411 },
  "precondition_failed",
  "file_too_large",
  "quota_exceeded",
  "unsupported_media_type",
];
const UPLOAD_NOTE =
  "The body is the file's bytes, streamed to R2 (never buffered); `Content-Length` is required. `Content-Type` is stored; `X-Flarebase-Metadata` carries custom metadata as a JSON object of strings. Size, type, rules and quota are checked before a byte is read.";

const fileResponse = (description: string) => ({
  description,
  body: FileRecordSchema,
  headers: { ETag: "The stored bytes' entity tag." },
});
const download = {
  description:
    "The bytes (any media type), streamed. Headers: ETag, Last-Modified, Accept-Ranges, Cache-Control, Content-Disposition, X-Content-Type-Options: nosniff, Content-Security-Policy: sandbox.",
};

const uploadPath = (c: Parameters<typeof filePathFromUrl>[0]) => filePathFromUrl(c, OBJECTS);

/**
 * `/v1/storage/buckets/:bucket/…`: files. Callers are resolved per route (storage-caller.ts):
 * credentials, a signed URL, or nobody for a public bucket's reads. Bytes stream between the
 * client and R2 without being buffered; rows in D1 are what lists and rules read.
 */
export const storageObjectRoutes = new Hono<AppEnv>()
  .get(
    "/:bucket/objects",
    route({
      summary: "List files",
      description: `Files in path order, filtered by the read rule; with \`delimiter=/\`, deeper paths come back as folders. ${CALLER_NOTE}`,
      auth: "none",
      params: Params,
      query: ListObjectsQuery,
      responses: { 200: { description: "One page.", body: FileListSchema } },
      errors: CALLER_ERRORS,
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const query = c.req.valid("query");
      const caller = await resolveFileCaller(c, name, { path: null, method: "GET" });
      return c.json(
        await listFiles(c.env.DB, {
          projectId: caller.projectId,
          bucket: name,
          prefix: query.prefix.normalize("NFC"),
          delimiter: query.delimiter ?? null,
          cursor: query.cursor ?? null,
          limit: query.limit,
          condition: caller.access.listCondition(),
          auth: caller.access.auth,
          origin: new URL(c.req.url).origin,
        }),
      );
    },
  )

  .post(
    "/:bucket/objects",
    route({
      summary: "Upload a file under a new id",
      description: `${UPLOAD_NOTE} The path is a new generated id, in \`folder\` if given. ${CALLER_NOTE}`,
      auth: "none",
      params: Params,
      query: UploadByIdQuery,
      responses: { 201: fileResponse("The stored file.") },
      errors: UPLOAD_ERRORS,
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const { folder } = c.req.valid("query");
      const path = checkedPath(`${folder ? (folder.endsWith("/") ? folder : `${folder}/`) : ""}${newDocumentId()}`);
      const caller = await resolveFileCaller(c, name, { path, method: null, upload: true });
      const { file } = await storeUpload(c, { ...caller, path, uploadedBy: caller.auth?.userId ?? null });
      c.header("ETag", `"${file.etag}"`);
      return c.json(file, 201);
    },
  )

  .put(
    "/:bucket/objects/*",
    route({
      summary: "Upload a file by path",
      description: `${UPLOAD_NOTE} An existing file at the path is replaced and keeps its id and URL. \`If-Match: "<etag>"\` replaces only that version; \`If-None-Match: *\` creates only. A signed PUT URL works without credentials. ${CALLER_NOTE}`,
      auth: "none",
      params: FileParams,
      responses: { 200: fileResponse("The file, replaced."), 201: fileResponse("The file, created.") },
      errors: UPLOAD_ERRORS,
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const path = uploadPath(c);
      const caller = await resolveFileCaller(c, name, { path, method: "PUT", upload: true });
      const { file, created } = await storeUpload(c, { ...caller, path, uploadedBy: caller.auth?.userId ?? null });
      c.header("ETag", `"${file.etag}"`);
      return c.json(file, created ? 201 : 200);
    },
  )

  // Also answers HEAD (Hono routes HEAD to GET; streamFile sends no body for it).
  .get(
    "/:bucket/objects/*",
    route({
      summary: "Download a file",
      description: `Streams the file from R2. \`Range\` (one range) gives 206; \`If-None-Match\` / \`If-Modified-Since\` give 304; \`?download=1\` (and \`filename\`) asks for an attachment. Markup and script types are always attachments. ${CALLER_NOTE}`,
      auth: "none",
      params: FileParams,
      responses: {
        200: download,
        206: { description: "One byte range (`Content-Range`)." },
        304: { description: "Not modified: the client's copy is current." },
      },
      errors: [...CALLER_ERRORS, "invalid_path", "precondition_failed", "range_not_satisfiable"],
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const path = filePathFromUrl(c, OBJECTS);
      const caller = await resolveFileCaller(c, name, { path, method: "GET" });
      const row = caller.row;
      if (!row || (!caller.signed && caller.access.hides(fileAttributes(row)))) {
        throw new ApiError("not_found", `No file at "${path}".`, { path });
      }
      if (!caller.signed) caller.access.assert("read", fileAttributes(row));
      return streamFile(c, caller.bucket, row, caller.signed);
    },
  )

  .delete(
    "/:bucket/objects/*",
    route({
      summary: "Delete a file",
      description: `The row first, then the bytes. ${CALLER_NOTE}`,
      auth: "none",
      params: FileParams,
      responses: { 200: { description: "Deleted.", body: DeletedFileSchema } },
      errors: [...CALLER_ERRORS, "invalid_path"],
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const path = filePathFromUrl(c, OBJECTS);
      const caller = await resolveFileCaller(c, name, { path, method: null });
      const row = caller.row;
      if (!row || caller.access.hides(fileAttributes(row))) {
        throw new ApiError("not_found", `No file at "${path}".`, { path });
      }
      caller.access.assert("delete", fileAttributes(row));
      // The row first, then the bytes: a crash in between leaves an orphan for the sweep, never a
      // listed file without bytes.
      const deleted = await deleteFileRows(c.env.DB, caller.projectId, name, [path]);
      if (deleted.length > 0) await c.env.BUCKET.delete(deleted.map((file) => file.object_key));
      return c.json({ path, deleted: true as const });
    },
  )

  .get(
    "/:bucket/metadata/*",
    route({
      summary: "Get a file's record",
      description: CALLER_NOTE,
      auth: "none",
      params: FileParams,
      responses: { 200: { description: "The file's record.", body: FileRecordSchema } },
      errors: [...CALLER_ERRORS, "invalid_path"],
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const path = filePathFromUrl(c, METADATA);
      const caller = await resolveFileCaller(c, name, { path, method: null });
      const row = caller.row;
      if (!row || caller.access.hides(fileAttributes(row))) {
        throw new ApiError("not_found", `No file at "${path}".`, { path });
      }
      caller.access.assert("read", fileAttributes(row));
      return c.json(toFileRecord(row, new URL(c.req.url).origin));
    },
  )

  .patch(
    "/:bucket/metadata/*",
    route({
      summary: "Change a file's metadata or content type",
      description: `Keys set to null are removed, others kept; the update rule sees the result. ${CALLER_NOTE}`,
      auth: "none",
      params: FileParams,
      body: UpdateMetadataBody,
      responses: { 200: { description: "The file's record.", body: FileRecordSchema } },
      errors: [...CALLER_ERRORS, "invalid_path", "unsupported_media_type"],
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const path = filePathFromUrl(c, METADATA);
      const caller = await resolveFileCaller(c, name, { path, method: null });
      const body = c.req.valid("json");
      const row = caller.row;
      if (!row || caller.access.hides(fileAttributes(row))) {
        throw new ApiError("not_found", `No file at "${path}".`, { path });
      }
      const current = fileAttributes(row);
      const merged: Record<string, string> = { ...current.metadata };
      for (const [key, value] of Object.entries(body.metadata ?? {})) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      const metadata: FileMetadata = checkMetadata(merged, "metadata");
      const contentType = body.content_type ?? current.content_type;
      if (!contentTypeAllowed(caller.bucket, contentType)) {
        throw new ApiError("unsupported_media_type", `Bucket "${name}" does not accept ${contentType}.`);
      }
      caller.access.assert("update", { ...current, metadata, content_type: contentType });
      const updated = await updateFileMetadata(c.env.DB, caller.projectId, name, path, metadata, contentType);
      if (!updated) throw new ApiError("not_found", `No file at "${path}".`, { path });
      return c.json(toFileRecord(updated, new URL(c.req.url).origin));
    },
  )

  .post(
    "/:bucket/delete",
    route({
      summary: "Delete many files",
      description: `Up to 1,000 paths; every one is checked against the delete rule before any is deleted. ${CALLER_NOTE}`,
      auth: "none",
      params: Params,
      body: DeleteManyBody,
      responses: { 200: { description: "What was deleted and what was not there.", body: DeletedFilesSchema } },
      errors: [...CALLER_ERRORS, "invalid_path"],
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const caller = await resolveFileCaller(c, name, { path: null, method: null });
      const paths = [...new Set(c.req.valid("json").paths.map(checkedPath))];
      // Every file is checked before any is deleted: a refused one refuses the whole request.
      const rows = await Promise.all(paths.map((path) => getFileRow(c.env.DB, caller.projectId, name, path)));
      const present = rows.filter(
        (row): row is NonNullable<typeof row> => row !== null && !caller.access.hides(fileAttributes(row)),
      );
      for (const row of present) caller.access.assert("delete", fileAttributes(row));
      const deleted = await deleteFileRows(
        c.env.DB,
        caller.projectId,
        name,
        present.map((row) => row.path),
      );
      if (deleted.length > 0) await c.env.BUCKET.delete(deleted.map((file) => file.object_key));
      const gone = new Set(deleted.map((file) => file.path));
      return c.json({ deleted: [...gone], not_found: paths.filter((path) => !gone.has(path)) });
    },
  )

  .post(
    "/:bucket/sign",
    route({
      summary: "Sign a URL for one file",
      description:
        "A URL that grants one method (GET, or PUT for a direct upload) on one path without headers, until `expires_in` seconds from now (at most 7 days). GET needs read access to an existing file; PUT needs a secret key. Tampering with any part of the URL gives 403.",
      auth: "none",
      params: Params,
      body: SignBody,
      responses: { 200: { description: "The signed URL.", body: SignedUrlSchema } },
      errors: [...CALLER_ERRORS, "invalid_path"],
    }),
    async (c) => {
      const { bucket: name } = c.req.valid("param");
      const caller = await resolveFileCaller(c, name, { path: null, method: null });
      const body = c.req.valid("json");
      const path = checkedPath(body.path);
      if (body.method === "PUT") {
        // An upload URL lets its holder write any bytes there, past the rules: only servers sign them.
        if (!caller.access.bypass) {
          throw new ApiError("forbidden", "Only secret keys may sign upload (PUT) URLs.", { method: "PUT" });
        }
      } else {
        const row = await getFileRow(c.env.DB, caller.projectId, name, path);
        if (!row || caller.access.hides(fileAttributes(row))) {
          throw new ApiError("not_found", `No file at "${path}".`, { path });
        }
        caller.access.assert("read", fileAttributes(row));
      }
      const expires = Math.floor(Date.now() / 1000) + body.expires_in;
      const params = await signGrant(c.env.DB, {
        projectId: caller.projectId,
        bucket: name,
        path,
        method: body.method,
        expires,
      });
      const url = new URL(
        `/v1/storage/buckets/${name}/objects/${path.split("/").map(encodeURIComponent).join("/")}`,
        c.req.url,
      );
      url.search = new URLSearchParams({ ...params }).toString();
      return c.json({
        url: url.toString(),
        method: body.method,
        path,
        expires_at: new Date(expires * 1000).toISOString(),
      });
    },
  );

import { Hono } from "hono";
import { z } from "zod";
import { newDocumentId } from "../../core/documents/names";
import { ApiError } from "../../core/errors";
import { MAX_FILE_PATH_BYTES } from "../../core/files/path";
import type { FileMetadata } from "../../core/files/wire";
import { deleteFileRows, fileAttributes, getFileRow, toFileRecord, updateFileMetadata } from "../../data/files/files";
import { listFiles } from "../../data/files/list-files";
import { objectKey } from "../../data/files/object-key";
import { MAX_SIGNED_URL_SECONDS, signGrant } from "../../data/files/signed-urls";
import type { AppEnv } from "../app-env";
import { readJson, readQuery } from "../validation";
import { bucketParam, checkedPath, filePathFromUrl, resolveFileCaller } from "./storage-caller";
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

/**
 * `/v1/storage/buckets/:bucket/…`: files. Callers are resolved per route (storage-caller.ts):
 * credentials, a signed URL, or nobody for a public bucket's reads. Bytes stream between the
 * client and R2 without being buffered; rows in D1 are what lists and rules read.
 */
export const storageObjectRoutes = new Hono<AppEnv>()
  .get("/:bucket/objects", async (c) => {
    const name = bucketParam(c);
    const query = readQuery(c, ListObjectsQuery);
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
  })

  .post("/:bucket/objects", async (c) => {
    const name = bucketParam(c);
    const { folder } = readQuery(c, UploadByIdQuery);
    const path = checkedPath(`${folder ? (folder.endsWith("/") ? folder : `${folder}/`) : ""}${newDocumentId()}`);
    const caller = await resolveFileCaller(c, name, { path, method: null });
    const { file } = await storeUpload(c, { ...caller, path, uploadedBy: caller.auth?.userId ?? null });
    c.header("ETag", `"${file.etag}"`);
    return c.json(file, 201);
  })

  .put("/:bucket/objects/*", async (c) => {
    const name = bucketParam(c);
    const path = filePathFromUrl(c, OBJECTS);
    const caller = await resolveFileCaller(c, name, { path, method: "PUT" });
    const { file, created } = await storeUpload(c, { ...caller, path, uploadedBy: caller.auth?.userId ?? null });
    c.header("ETag", `"${file.etag}"`);
    return c.json(file, created ? 201 : 200);
  })

  // Also answers HEAD (Hono routes HEAD to GET; streamFile sends no body for it).
  .get("/:bucket/objects/*", async (c) => {
    const name = bucketParam(c);
    const path = filePathFromUrl(c, OBJECTS);
    const caller = await resolveFileCaller(c, name, { path, method: "GET" });
    const row = await getFileRow(c.env.DB, caller.projectId, name, path);
    if (!row || (!caller.signed && caller.access.hides(fileAttributes(row)))) {
      throw new ApiError("not_found", `No file at "${path}".`, { path });
    }
    if (!caller.signed) caller.access.assert("read", fileAttributes(row));
    return streamFile(c, caller.projectId, caller.bucket, row, caller.signed);
  })

  .delete("/:bucket/objects/*", async (c) => {
    const name = bucketParam(c);
    const path = filePathFromUrl(c, OBJECTS);
    const caller = await resolveFileCaller(c, name, { path, method: null });
    const row = await getFileRow(c.env.DB, caller.projectId, name, path);
    if (!row || caller.access.hides(fileAttributes(row))) {
      throw new ApiError("not_found", `No file at "${path}".`, { path });
    }
    caller.access.assert("delete", fileAttributes(row));
    // The row first, then the bytes: a crash in between leaves an orphan for the sweep, never a
    // listed file without bytes.
    await deleteFileRows(c.env.DB, caller.projectId, name, [path]);
    await c.env.BUCKET.delete(objectKey(caller.projectId, name, path));
    return c.json({ path, deleted: true });
  })

  .get("/:bucket/metadata/*", async (c) => {
    const name = bucketParam(c);
    const path = filePathFromUrl(c, METADATA);
    const caller = await resolveFileCaller(c, name, { path: null, method: "GET" });
    const row = await getFileRow(c.env.DB, caller.projectId, name, path);
    if (!row || caller.access.hides(fileAttributes(row))) {
      throw new ApiError("not_found", `No file at "${path}".`, { path });
    }
    caller.access.assert("read", fileAttributes(row));
    return c.json(toFileRecord(row, new URL(c.req.url).origin));
  })

  .patch("/:bucket/metadata/*", async (c) => {
    const name = bucketParam(c);
    const path = filePathFromUrl(c, METADATA);
    const caller = await resolveFileCaller(c, name, { path: null, method: null });
    const body = await readJson(c, UpdateMetadataBody);
    const row = await getFileRow(c.env.DB, caller.projectId, name, path);
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
  })

  .post("/:bucket/delete", async (c) => {
    const name = bucketParam(c);
    const caller = await resolveFileCaller(c, name, { path: null, method: null });
    const body = await readJson(c, DeleteManyBody);
    const paths = [...new Set(body.paths.map(checkedPath))];
    // Every file is checked before any is deleted: a refused one refuses the whole request.
    const rows = await Promise.all(paths.map((path) => getFileRow(c.env.DB, caller.projectId, name, path)));
    const present = rows.filter((row) => row !== null && !caller.access.hides(fileAttributes(row)));
    for (const row of present) caller.access.assert("delete", fileAttributes(row as NonNullable<typeof row>));
    const deleted = await deleteFileRows(
      c.env.DB,
      caller.projectId,
      name,
      present.map((row) => (row as NonNullable<typeof row>).path),
    );
    if (deleted.length > 0) {
      await c.env.BUCKET.delete(deleted.map((path) => objectKey(caller.projectId, name, path)));
    }
    const gone = new Set(deleted);
    return c.json({ deleted, not_found: paths.filter((path) => !gone.has(path)) });
  })

  .post("/:bucket/sign", async (c) => {
    const name = bucketParam(c);
    const caller = await resolveFileCaller(c, name, { path: null, method: null });
    const body = await readJson(c, SignBody);
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
  });

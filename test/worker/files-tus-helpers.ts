import { env } from "cloudflare:workers";
import { formatUploadMetadata, TUS_CONTENT_TYPE, TUS_VERSION } from "../../core/protocol/tus";
import { type BucketSettings, createBucket, DEFAULT_BUCKET_SETTINGS } from "../../data/files/buckets";
import { uploadObjectName } from "../../durable-objects/upload/upload-record";
import { rowKey, storedKeys } from "./files-helpers";
import { api, createProject, type TestProject } from "./helpers";

export const MIB = 1024 * 1024;
export const BUCKET = "media";

/** A fresh project with one bucket, `media` (closed to public keys unless `settings` opens it). */
export async function tusProject(settings: Partial<BucketSettings> = {}): Promise<TestProject> {
  const project = await createProject();
  await createBucket(env.DB, project.id, BUCKET, { ...DEFAULT_BUCKET_SETTINGS, ...settings });
  return project;
}

/** The headers every tus request carries, with the project's secret key unless `key` says otherwise. */
export function tusHeaders(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { "X-API-Key": key, "Tus-Resumable": TUS_VERSION, ...extra };
}

export interface CreateOptions {
  key: string;
  length: number;
  metadata?: Record<string, string>;
  /** A first chunk (creation-with-upload). */
  body?: Uint8Array;
}

/** POST …/uploads. */
export function createUpload(options: CreateOptions): Promise<Response> {
  const headers = tusHeaders(options.key, {
    "Upload-Length": String(options.length),
    "Upload-Metadata": formatUploadMetadata(options.metadata ?? { path: "video.bin", filetype: "video/mp4" }),
  });
  if (options.body) headers["Content-Type"] = TUS_CONTENT_TYPE;
  return api(`/v1/storage/buckets/${BUCKET}/uploads`, { method: "POST", headers, body: options.body });
}

/** Creates an upload and returns its path (from Location) and id. */
export async function startUpload(options: CreateOptions): Promise<{ path: string; id: string }> {
  const response = await createUpload(options);
  if (response.status !== 201) throw new Error(`createUpload: ${response.status} ${await response.text()}`);
  const path = new URL(response.headers.get("Location") as string).pathname;
  return { path, id: path.split("/").at(-1) as string };
}

/** PATCH one chunk at `offset`. */
export function patchChunk(
  path: string,
  key: string,
  offset: number,
  body: Uint8Array | ReadableStream<Uint8Array>,
  extra: Record<string, string> = {},
): Promise<Response> {
  return api(path, {
    method: "PATCH",
    headers: tusHeaders(key, { "Content-Type": TUS_CONTENT_TYPE, "Upload-Offset": String(offset), ...extra }),
    body,
  });
}

/** HEAD: the upload's durable offset (null when it is gone: 404). */
export async function headOffset(path: string, key: string): Promise<number | null> {
  const response = await api(path, { method: "HEAD", headers: tusHeaders(key) });
  if (response.status === 404) return null;
  if (response.status !== 200) throw new Error(`HEAD ${path}: ${response.status}`);
  return Number(response.headers.get("Upload-Offset"));
}

/** Sends `bytes` from `offset` in chunks of `chunkSize`, checking each answer. */
export async function sendAll(path: string, key: string, bytes: Uint8Array, chunkSize: number, offset = 0) {
  let last: Response | undefined;
  for (let at = offset; at < bytes.length; at += chunkSize) {
    last = await patchChunk(path, key, at, bytes.subarray(at, Math.min(bytes.length, at + chunkSize)));
    if (last.status !== 204) throw new Error(`PATCH at ${at}: ${last.status} ${await last.text()}`);
  }
  return last;
}

export { testBytes } from "../test-bytes";

export async function sha256(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The bytes R2 holds for a file of the test bucket: those its row names, or, without a row, the
 * one upload R2 holds for the path; null when there are none.
 */
export async function storedBytes(projectId: string, path: string): Promise<Uint8Array | null> {
  const [only] = await storedKeys(projectId, BUCKET, path);
  const key = (await rowKey(projectId, BUCKET, path)) ?? only;
  const object = key === undefined ? null : await env.BUCKET.get(key);
  return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

/** The upload object of an upload id. */
export function uploadObject(projectId: string, uploadId: string) {
  return env.UPLOAD.get(env.UPLOAD.idFromName(uploadObjectName(projectId, uploadId)));
}

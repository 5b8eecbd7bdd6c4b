import type { Context } from "hono";
import { ApiError } from "../../core/errors";
import { BUCKET_NAME, checkFilePath } from "../../core/files/path";
import type { BucketRecord, StorageUsage } from "../../core/files/wire";
import { FileAccess } from "../../data/files/access";
import type { FileRow } from "../../data/files/files";
import { loadFileContext } from "../../data/files/lookup";
import { type SignedMethod, verifyGrant } from "../../data/files/signed-urls";
import type { AppEnv } from "../app-env";
import { type AuthContext, authenticate, credentialsFromHeaders } from "../auth/auth-context";

/**
 * The bucket name of `/v1/storage/buckets/:bucket/…`.
 *
 * @throws {ApiError} `invalid_request` for a name that cannot be a bucket's.
 */
export function bucketParam(c: Context<AppEnv>): string {
  const name = c.req.param("bucket") ?? "";
  if (!BUCKET_NAME.test(name)) {
    throw new ApiError(
      "invalid_request",
      "Bucket names are 1 to 63 lowercase letters, digits, - or _, starting with a letter or digit.",
      { bucket: name },
    );
  }
  return name;
}

/**
 * The file path after `marker` (`/objects/`) in the request's URL, percent-decoded once and
 * checked by `checkFilePath` (NFC-normalized). Read from the raw URL rather than a route
 * parameter so that encoded slashes and dots reach the check exactly as sent.
 *
 * @throws {ApiError} `invalid_path` (400) with `details.reason`.
 */
export function filePathFromUrl(c: Context<AppEnv>, marker: string): string {
  const pathname = new URL(c.req.url).pathname;
  const at = pathname.indexOf(marker);
  const raw = at < 0 ? "" : pathname.slice(at + marker.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new ApiError("invalid_path", "The path is not valid percent-encoded UTF-8.", { reason: "encoding" });
  }
  return checkedPath(decoded);
}

/**
 * A path from a body or query, checked and normalized.
 *
 * @throws {ApiError} `invalid_path`.
 */
export function checkedPath(raw: string): string {
  const check = checkFilePath(raw);
  if (!check.ok) throw new ApiError("invalid_path", check.message, { reason: check.reason });
  return check.path;
}

/** Who is asking for a file, and how they got access. */
export interface FileCaller {
  projectId: string;
  bucket: BucketRecord;
  /** The verified credentials, or null (a public bucket's anonymous reader, or a signed URL). */
  auth: AuthContext | null;
  /** A valid signature for this path and method: rules are the signer's business, not checked. */
  signed: boolean;
  access: FileAccess;
  /** The file at the request's path, read with the bucket (null: none, or no path asked for). */
  row: FileRow | null;
  /** The project's storage usage and quota, read with the bucket for an upload (else null). */
  usage: StorageUsage | null;
}

/**
 * What an object route asks for: `path`, the file the request is about (read with the bucket);
 * `method`, what a signed URL must grant (null: none can); `upload`, also the usage (the quota).
 */
export interface FileRequest {
  path: string | null;
  method: SignedMethod | null;
  upload?: boolean;
}

/** The bucket, the file and (uploads) the usage in one D1 round trip; `missing` when there is no bucket. */
async function context(
  c: Context<AppEnv>,
  projectId: string,
  bucketName: string,
  request: FileRequest,
  missing: () => ApiError,
) {
  const found = await loadFileContext(c.env.DB, projectId, bucketName, request.path, {
    usage: request.upload === true,
  });
  if (!found.bucket) throw missing();
  return { ...found, bucket: found.bucket };
}

const noBucket = (name: string) => () => new ApiError("not_found", `No bucket named "${name}".`, { bucket: name });

/**
 * Resolves the caller of an object route, in this order: a signed URL (`?project&expires&
 * signature`, for exactly this path and method), credentials (key or token), or nobody with
 * `?project=` (only a public bucket's reads). Reads the bucket, the file at `request.path` and the
 * usage with one D1 batch. A `project` parameter that names another project
 * than the credentials' is refused, so no request mixes two projects.
 *
 * @throws {ApiError} `forbidden` for a bad or expired signature or a project mismatch;
 * `unauthorized` without credentials where they are needed; `not_found` for a missing bucket.
 */
export async function resolveFileCaller(
  c: Context<AppEnv>,
  bucketName: string,
  request: FileRequest,
): Promise<FileCaller> {
  const query = new URL(c.req.url).searchParams;
  const project = query.get("project");
  const signature = query.get("signature");
  if (signature !== null) {
    if (request.path === null || request.method === null || project === null) {
      throw new ApiError("forbidden", "Signed URLs grant one file and one method; this request is neither.");
    }
    const verdict = await verifyGrant(
      c.env.DB,
      { project, expires: query.get("expires") ?? "", signature },
      { bucket: bucketName, path: request.path, method: request.method },
    );
    if (verdict === "expired") throw new ApiError("forbidden", "The signed URL has expired.", { reason: "expired" });
    if (verdict === "invalid") {
      throw new ApiError("forbidden", "The signed URL's signature does not match.", { reason: "bad_signature" });
    }
    const found = await context(c, project, bucketName, request, noBucket(bucketName));
    return { projectId: project, ...found, auth: null, signed: true, access: new FileAccess(found.bucket, null) };
  }
  const credentials = credentialsFromHeaders(c.req.raw.headers);
  if (credentials.apiKey || credentials.token) {
    const auth = await authenticate(c.env.DB, credentials, c.req.header("Origin") ?? null);
    if (project !== null && project !== auth.projectId) {
      throw new ApiError("forbidden", "The project parameter names another project than your credentials.");
    }
    c.set("auth", auth);
    const found = await context(c, auth.projectId, bucketName, request, noBucket(bucketName));
    return { projectId: auth.projectId, ...found, auth, signed: false, access: new FileAccess(found.bucket, auth) };
  }
  const readOnly = request.method === "GET";
  if (project === null || !readOnly) {
    throw new ApiError(
      "unauthorized",
      "Missing credentials: send your project's key in X-API-Key, a user token as Authorization: Bearer <token>, or use a signed URL. Public buckets are readable with ?project=<project id>.",
    );
  }
  // A private bucket and a missing one look the same to an anonymous caller.
  const found = await context(c, project, bucketName, request, unauthorizedPrivate);
  if (!found.bucket.public) throw unauthorizedPrivate();
  return { projectId: project, ...found, auth: null, signed: false, access: new FileAccess(found.bucket, null) };
}

function unauthorizedPrivate() {
  return new ApiError(
    "unauthorized",
    "This bucket is not public: send credentials, or use a signed URL (POST /v1/storage/buckets/:bucket/sign).",
  );
}

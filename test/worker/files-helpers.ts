import { env } from "cloudflare:workers";
import { bucketKeyPrefix } from "../../data/files/object-key";
import { api, createProject, mintToken, type TestProject } from "./helpers";

/** Every R2 key holding bytes of one file (one per upload R2 still keeps), sorted. */
export async function storedKeys(projectId: string, bucket: string, path: string): Promise<string[]> {
  const listed = await env.BUCKET.list({ prefix: `${bucketKeyPrefix(projectId, bucket)}${path}//` });
  return listed.objects.map((object) => object.key).sort();
}

/** The R2 key the file's row names, or null when there is no row. */
export async function rowKey(projectId: string, bucket: string, path: string): Promise<string | null> {
  const row = await env.DB.prepare("SELECT object_key FROM files WHERE project_id = ? AND bucket = ? AND path = ?")
    .bind(projectId, bucket, path)
    .first<{ object_key: string }>();
  return row?.object_key ?? null;
}

/** Credentials as headers: a pk_/sk_ key, a user JWT, or none. */
export function credentials(key: string | null): Record<string, string> {
  if (key === null) return {};
  return key.startsWith("pk_") || key.startsWith("sk_") ? { "X-API-Key": key } : { Authorization: `Bearer ${key}` };
}

/** The path of a file route, each segment encoded. */
export const objectPath = (bucket: string, path: string) =>
  `/v1/storage/buckets/${bucket}/objects/${path.split("/").map(encodeURIComponent).join("/")}`;

/** A project with a bucket (settings as given) and a secret-key, a public-key and a user caller. */
export async function storageProject(bucket: Record<string, unknown> = {}, userId = "u1") {
  const project = await createProject();
  const response = await api("/v1/storage/buckets", {
    method: "POST",
    headers: credentials(project.keys.secret),
    json: { name: "files", ...bucket },
  });
  if (response.status !== 201) throw new Error(`create bucket: ${response.status} ${await response.text()}`);
  const { token } = await mintToken(project, { user_id: userId });
  return { project, secret: project.keys.secret, publicKey: project.keys.public, user: token };
}

/** Uploads bytes by path. */
export function upload(
  key: string | null,
  bucket: string,
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Response> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return api(objectPath(bucket, path), {
    method: "PUT",
    headers: { "Content-Type": "text/plain", "Content-Length": String(bytes.length), ...credentials(key), ...headers },
    body: bytes,
  });
}

/** Downloads by path. */
export function download(
  key: string | null,
  bucket: string,
  path: string,
  headers: Record<string, string> = {},
  query = "",
): Promise<Response> {
  return api(`${objectPath(bucket, path)}${query}`, { headers: { ...credentials(key), ...headers } });
}

/** Sets a bucket's settings with the secret key. */
export async function patchBucket(project: TestProject, bucket: string, body: Record<string, unknown>) {
  const response = await api(`/v1/storage/buckets/${bucket}`, {
    method: "PATCH",
    headers: credentials(project.keys.secret),
    json: body,
  });
  if (response.status !== 200) throw new Error(`patch bucket: ${response.status} ${await response.text()}`);
  return response.json();
}

export const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

import { randomString } from "../../core/random";

/** Longest a signed URL may live: 7 days, as R2's own presigned URLs. */
export const MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600;

export type SignedMethod = "GET" | "PUT";

/** What a signature covers: every part of the grant, so changing any of them breaks it. */
export interface SignedGrant {
  projectId: string;
  bucket: string;
  path: string;
  method: SignedMethod;
  /** Epoch seconds. */
  expires: number;
}

/** The query parameters of a signed URL (the path and method come from the request itself). */
export interface SignatureParams {
  project: string;
  expires: string;
  signature: string;
}

/** The project's URL-signing secret, created on first use. */
export async function signingSecret(db: D1Database, projectId: string): Promise<string> {
  const existing = await readSigningSecret(db, projectId);
  if (existing) return existing;
  const row = await db
    .prepare(
      `INSERT INTO storage_usage (project_id, signing_secret) VALUES (?1, ?2)
       ON CONFLICT (project_id) DO UPDATE SET signing_secret = COALESCE(signing_secret, excluded.signing_secret)
       RETURNING signing_secret`,
    )
    .bind(projectId, randomString(43))
    .first<{ signing_secret: string }>();
  return (row as { signing_secret: string }).signing_secret;
}

async function readSigningSecret(db: D1Database, projectId: string): Promise<string | null> {
  const row = await db
    .prepare("SELECT signing_secret FROM storage_usage WHERE project_id = ?")
    .bind(projectId)
    .first<{ signing_secret: string | null }>();
  return row?.signing_secret ?? null;
}

/** HMAC-SHA256 over the grant, base64url. */
async function sign(secret: string, grant: SignedGrant): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  // One field per line; paths cannot hold control characters, so no field can forge a line.
  const message = ["flarebase-file-v1", grant.projectId, grant.bucket, grant.path, grant.method, grant.expires].join(
    "\n",
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
  return btoa(String.fromCharCode(...mac))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The query parameters that grant `grant` to whoever holds the URL. */
export async function signGrant(db: D1Database, grant: SignedGrant): Promise<SignatureParams> {
  const signature = await sign(await signingSecret(db, grant.projectId), grant);
  return { project: grant.projectId, expires: String(grant.expires), signature };
}

/**
 * Why a signature does not grant the request, or null when it does. Compared in constant time
 * (the MAC is recomputed and both are compared byte by byte).
 */
export async function verifyGrant(
  db: D1Database,
  params: SignatureParams,
  request: Omit<SignedGrant, "projectId" | "expires">,
  now = Date.now(),
): Promise<"expired" | "invalid" | null> {
  if (!/^[0-9]{1,12}$/.test(params.expires)) return "invalid";
  const expires = Number(params.expires);
  const secret = await readSigningSecret(db, params.project);
  if (!secret) return "invalid";
  const expected = await sign(secret, { ...request, projectId: params.project, expires });
  if (!timingSafeEqual(expected, params.signature)) return "invalid";
  return expires * 1000 < now ? "expired" : null;
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

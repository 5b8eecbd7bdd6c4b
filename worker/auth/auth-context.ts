import { createMiddleware } from "hono/factory";
import { ApiError } from "../../core/errors";
import type { CapabilityMap } from "../../core/protocol/capabilities";
import type { Caller } from "../../core/query";
import { constantTimeEqual, sha256Hex } from "../../core/random";
import type { AppEnv } from "../app-env";
import { findApiKey, getProject } from "../projects/project-store";
import { parseApiKey } from "./api-keys";
import { verifyToken } from "./tokens";

/**
 * Who is calling, resolved once per request. Public keys are browser-safe and subject to rules;
 * secret keys are for servers and bypass rules; user tokens carry an end user's identity.
 */
export interface AuthContext extends Caller {
  projectId: string;
  kind: "public" | "secret" | "user";
  /** The API key's id (never the key), or null for a token. */
  keyId: string | null;
  userId: string | null;
  role: string | null;
  claims: Record<string, unknown>;
  /** The account session of a token issued at sign-in (its `sid`), else null. */
  sessionId: string | null;
  /**
   * The project's default channel capabilities (null: the built-in default), read with the
   * credentials, so a channel connection needs no second query.
   */
  channelCapabilities: CapabilityMap | null;
}

/** Credentials as presented, before they are checked. */
export interface Credentials {
  apiKey?: string | undefined;
  token?: string | undefined;
}

/** Reads `X-API-Key` or `Authorization: Bearer <jwt>`. */
export function credentialsFromHeaders(headers: Headers): Credentials {
  const authorization = headers.get("Authorization");
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  return { apiKey: headers.get("X-API-Key") ?? undefined, token: bearer };
}

/**
 * Turns credentials into an auth context, or throws `unauthorized`. A key must exist, match its
 * stored hash (compared in constant time) and not be revoked; a token is checked by
 * `verifyToken`. When the request comes from a browser (`origin`), the project must allow it.
 */
export async function authenticate(db: D1Database, credentials: Credentials, origin: string | null) {
  if (credentials.apiKey) return authenticateKey(db, credentials.apiKey, origin);
  if (credentials.token) return authenticateToken(db, credentials.token, origin);
  throw new ApiError(
    "unauthorized",
    "Missing credentials: send your project's key in the X-API-Key header, or a user token as Authorization: Bearer <token>.",
  );
}

async function authenticateKey(db: D1Database, rawKey: string, origin: string | null): Promise<AuthContext> {
  const parsed = parseApiKey(rawKey);
  const record = parsed ? await findApiKey(db, parsed.id) : null;
  const matches =
    parsed !== null &&
    record !== null &&
    record.kind === parsed.kind &&
    (await constantTimeEqual(await sha256Hex(parsed.secret), record.secret_hash));
  if (!matches || !record) throw new ApiError("unauthorized", "The API key is not valid.");
  if (record.revoked_at) throw new ApiError("unauthorized", "The API key has been revoked.");
  assertOriginAllowed(JSON.parse(record.allowed_origins) as string[], origin);
  return {
    projectId: record.project_id,
    kind: record.kind,
    keyId: record.id,
    userId: null,
    role: null,
    claims: {},
    sessionId: null,
    channelCapabilities: record.channel_capabilities
      ? (JSON.parse(record.channel_capabilities) as CapabilityMap)
      : null,
  };
}

async function authenticateToken(db: D1Database, token: string, origin: string | null): Promise<AuthContext> {
  const verified = await verifyToken(db, token);
  const project = await getProject(db, verified.projectId);
  if (!project) throw new ApiError("unauthorized", "The bearer token's project no longer exists.");
  assertOriginAllowed(project.allowed_origins, origin);
  return {
    projectId: verified.projectId,
    kind: "user",
    keyId: null,
    userId: verified.userId,
    role: verified.role,
    claims: verified.claims,
    sessionId: verified.sessionId,
    channelCapabilities: project.channel_capabilities,
  };
}

function assertOriginAllowed(allowed: string[], origin: string | null) {
  if (origin === null || allowed.includes("*") || allowed.includes(origin)) return;
  throw new ApiError(
    "origin_not_allowed",
    `Origin ${origin} may not call this project. Add it to the project's allowed_origins with the admin API.`,
  );
}

/** Middleware: authenticates the request and sets `c.var.auth`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  c.set(
    "auth",
    await authenticate(c.env.DB, credentialsFromHeaders(c.req.raw.headers), c.req.header("Origin") ?? null),
  );
  await next();
});

/** Middleware: like `requireAuth`, then insists on a secret key. */
export const requireSecretKey = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.get("auth");
  if (auth.kind !== "secret") {
    throw new ApiError("forbidden", "This endpoint needs a secret key (sk_…); never ship secret keys to browsers.");
  }
  await next();
});

import { createMiddleware } from "hono/factory";
import { ApiError } from "../../core/errors";
import type { CapabilityMap } from "../../core/protocol/capabilities";
import type { Caller } from "../../core/query";
import { constantTimeEqual, sha256Hex } from "../../core/random";
import { checkPreconditions, type Precondition } from "../../data/d1/precondition";
import type { AppEnv } from "../app-env";
import { parseApiKey } from "./api-keys";
import { keyRecord, rememberKey, signingKey } from "./credential-cache";
import { assertOriginAllowed, keyStanding, tokenStanding } from "./standing";
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

/** A caller identified, and the standing its request must still check (./standing.ts). */
export interface Identified {
  auth: AuthContext;
  /** Put into the request's first batch (or checked alone, {@link authenticate}). */
  standing: Precondition;
  /** True when identifying read the standing already (a cache miss): checking it again costs no trip. */
  checked: boolean;
}

/**
 * Who is calling, from a per-isolate cache of what never changes about a credential
 * (./credential-cache.ts): usually no trip at all, one on a miss. A key must match its stored
 * hash (compared in constant time); a token must verify (`verifyToken`). What can change (a
 * revocation, the project's origins) is the returned `standing`, which the request checks in its
 * own first D1 batch, so a revoked key stops working at once.
 *
 * @throws {ApiError} `unauthorized` (or `token_expired`, `origin_not_allowed`).
 */
export async function identify(db: D1Database, credentials: Credentials, origin: string | null): Promise<Identified> {
  if (credentials.apiKey) return identifyKey(db, credentials.apiKey, origin);
  if (credentials.token) return identifyToken(db, credentials.token, origin);
  throw new ApiError(
    "unauthorized",
    "Missing credentials: send your project's key in the X-API-Key header, or a user token as Authorization: Bearer <token>.",
  );
}

/**
 * Turns credentials into an auth context, standing checked, or throws `unauthorized`: one trip
 * (the standing, or the lookup on a cache miss). When the request comes from a browser
 * (`origin`), the project must allow it. Routes that fold the standing into their own batch use
 * {@link identify} instead.
 */
export async function authenticate(db: D1Database, credentials: Credentials, origin: string | null) {
  const identified = await identify(db, credentials, origin);
  if (!identified.checked) await checkPreconditions(db, [identified.standing]);
  return identified.auth;
}

async function identifyKey(db: D1Database, rawKey: string, origin: string | null): Promise<Identified> {
  const parsed = parseApiKey(rawKey);
  const { record, fresh } = parsed ? await keyRecord(db, parsed.id) : { record: null, fresh: true };
  const matches =
    parsed !== null &&
    record !== null &&
    record.kind === parsed.kind &&
    (await constantTimeEqual(await sha256Hex(parsed.secret), record.secret_hash));
  if (!matches || !record) throw new ApiError("unauthorized", "The API key is not valid.");
  // A revocation is final (revokeApiKey never clears it): one seen once needs no trip to refuse.
  if (record.revoked_at) throw new ApiError("unauthorized", "The API key has been revoked.");
  if (fresh) assertOriginAllowed(JSON.parse(record.allowed_origins) as string[], origin);
  const auth: AuthContext = {
    projectId: record.project_id,
    kind: record.kind,
    keyId: record.id,
    userId: null,
    role: null,
    claims: {},
    sessionId: null,
    channelCapabilities: capabilities(record.channel_capabilities),
  };
  const standing = keyStanding(record.id, origin, (row) => {
    rememberKey({ ...record, ...row });
    auth.channelCapabilities = capabilities(row.channel_capabilities);
  });
  return { auth, standing, checked: fresh };
}

async function identifyToken(db: D1Database, token: string, origin: string | null): Promise<Identified> {
  let kid = "";
  const verified = await verifyToken(db, token, async (found) => {
    kid = found;
    return (await signingKey(db, found)).key;
  });
  const auth: AuthContext = {
    projectId: verified.projectId,
    kind: "user",
    keyId: null,
    userId: verified.userId,
    role: verified.role,
    claims: verified.claims,
    sessionId: verified.sessionId,
    channelCapabilities: null,
  };
  const standing = tokenStanding(kid, origin, (row) => {
    auth.channelCapabilities = capabilities(row.channel_capabilities);
  });
  // Even a signing key read just now says nothing of its project: the standing is always checked.
  return { auth, standing, checked: false };
}

const capabilities = (column: string | null) => (column ? (JSON.parse(column) as CapabilityMap) : null);

/** Middleware: authenticates the request and sets `c.var.auth`. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  c.set(
    "auth",
    await authenticate(c.env.DB, credentialsFromHeaders(c.req.raw.headers), c.req.header("Origin") ?? null),
  );
  await next();
});

/**
 * Middleware for routes that fold the caller's standing into their own first D1 batch (declared
 * with `foldsStanding` in `route()`): identifies the caller (`c.var.auth`, usually no trip) and
 * leaves the standing to the handler (`c.var.standing`). A handler that answers without having
 * put it into a batch is a bug that would skip the revocation check: it fails the request.
 */
export const identifyCaller = createMiddleware<AppEnv>(async (c, next) => {
  const identified = await identify(
    c.env.DB,
    credentialsFromHeaders(c.req.raw.headers),
    c.req.header("Origin") ?? null,
  );
  let used = false;
  const { standing } = identified;
  c.set("auth", identified.auth);
  c.set("standing", {
    read: (db) => {
      used = true;
      return standing.read(db);
    },
    check: (result) => standing.check(result),
    guard: (db) => {
      used = true;
      return standing.guard(db);
    },
  });
  await next();
  if (!used && c.res.ok) {
    throw new Error(`${c.req.method} ${c.req.path} answered without checking the caller's standing.`);
  }
});

/** Middleware: like `requireAuth`, then insists on a secret key. */
export const requireSecretKey = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.get("auth");
  if (auth.kind !== "secret") {
    throw new ApiError("forbidden", "This endpoint needs a secret key (sk_…); never ship secret keys to browsers.");
  }
  await next();
});

import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from "jose";
import { ApiError } from "../../core/errors";
import { currentSigningKey, findSigningKey, type SigningKey } from "../projects/project-store";

/** The one algorithm we sign and accept; anything else in a header is rejected. */
const ALGORITHM = "HS256";
const ISSUER = "flarebase";
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** Tokens live at most a week; a retired signing key is kept this long after rotation. */
export const MAX_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

/** Claim names the server owns; apps put their own data under `claims`. */
export const RESERVED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "role", "claims"] as const;

export interface TokenSubject {
  user_id: string;
  role?: string | undefined;
  claims?: Record<string, unknown> | undefined;
  /** The account session the token was issued for (`sid`); none for a minted token. */
  session_id?: string | undefined;
}

export interface VerifiedToken {
  projectId: string;
  userId: string;
  role: string | null;
  claims: Record<string, unknown>;
  /** The account session (`sid`) of a token issued at sign-in or refresh; null for a minted token. */
  sessionId: string | null;
}

const keyBytes = (secret: string) => new TextEncoder().encode(secret);

/** Signs a token for a user of a project with the project's current signing key. */
export async function mintToken(db: D1Database, projectId: string, subject: TokenSubject, ttlSeconds: number) {
  const key = await currentSigningKey(db, projectId);
  if (!key) throw new ApiError("internal", "The project has no signing key.");
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + ttlSeconds;
  const token = await new SignJWT({ role: subject.role, claims: subject.claims ?? {}, sid: subject.session_id })
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(projectId)
    .setSubject(subject.user_id)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(keyBytes(key.secret));
  return { token, expires_at: new Date(expiresAt * 1000).toISOString() };
}

/**
 * Verifies a bearer token: the header must name a known `kid` with our pinned algorithm, the
 * signature must check with that key, and `aud` must be the key's own project, so a token can
 * never be replayed against another project. `exp` and `sub` are required.
 *
 * @throws {ApiError} `token_expired` when expired, `unauthorized` for anything else.
 */
export async function verifyToken(
  db: D1Database,
  token: string,
  /** Where signing keys come from (a per-isolate cache: worker/auth/credential-cache.ts). */
  findKey: (kid: string) => Promise<SigningKey | null> = (kid) => findSigningKey(db, kid),
): Promise<VerifiedToken> {
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== ALGORITHM) throw new Error("algorithm");
    kid = header.kid;
  } catch {
    throw new ApiError("unauthorized", "The bearer token is malformed or uses an unsupported algorithm.");
  }
  const key = kid ? await findKey(kid) : null;
  if (!key) throw new ApiError("unauthorized", "The bearer token was signed by an unknown key.");
  try {
    const { payload } = await jwtVerify(token, keyBytes(key.secret), {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: key.project_id,
      requiredClaims: ["exp", "sub"],
    });
    return {
      projectId: key.project_id,
      userId: payload.sub as string,
      role: typeof payload.role === "string" ? payload.role : null,
      claims: isRecord(payload.claims) ? payload.claims : {},
      sessionId: typeof payload.sid === "string" ? payload.sid : null,
    };
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new ApiError("token_expired", "The bearer token has expired; request a new one.");
    }
    throw new ApiError("unauthorized", "The bearer token is invalid.", undefined, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { IdTokenProblem } from "../../../core/accounts/oidc";
import { ApiError } from "../../../core/errors";
import { constantTimeEqual } from "../../../core/random";
import { unavailable } from "./provider-http";

/**
 * Signature algorithms accepted in ID tokens: asymmetric only, so the token is checked against
 * the provider's published keys. Never `none`, never HS* (a client secret as the key).
 */
const ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];
/** Clock skew allowed between us and the provider. */
const CLOCK_TOLERANCE_SECONDS = 60;

/** What the sign-in keeps of a verified ID token. */
export interface IdTokenClaims extends JWTPayload {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  name?: unknown;
}

export interface IdTokenCheck {
  issuer: string;
  clientId: string;
  nonce: string;
  keys: JWTVerifyGetKey;
}

/**
 * Verifies an ID token (OpenID Connect Core §3.1.3.7): signed by one of the provider's keys with
 * an accepted algorithm, issued by the configured issuer, for our client (and, with several
 * audiences, `azp` is us), unexpired, with this sign-in's nonce.
 *
 * @throws {ApiError} `oidc_id_token_invalid` with `details.reason` (core/accounts/oidc.ts
 * `ID_TOKEN_PROBLEMS`); `oidc_provider_unavailable` when the key set cannot be fetched.
 */
export async function verifyIdToken(idToken: string, check: IdTokenCheck): Promise<IdTokenClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, check.keys, {
      issuer: check.issuer,
      audience: check.clientId,
      algorithms: ALGORITHMS,
      requiredClaims: ["sub", "exp", "iat"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    throw fromJoseError(error, check.issuer);
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.length > 1 && payload.azp !== check.clientId) {
    throw invalid("audience", "The ID token names several audiences, and its azp is not this client.");
  }
  if (typeof payload.nonce !== "string" || !(await constantTimeEqual(payload.nonce, check.nonce))) {
    throw invalid("nonce", "The ID token's nonce is not this sign-in's: it was issued for another sign-in.");
  }
  if (typeof payload.sub !== "string" || payload.sub === "" || payload.sub.length > 255) {
    throw invalid("malformed", "The ID token's sub is not a string of 1 to 255 characters.");
  }
  return payload as IdTokenClaims;
}

function invalid(reason: IdTokenProblem, message: string, cause?: unknown) {
  return new ApiError("oidc_id_token_invalid", `${message} The sign-in is refused.`, { reason }, { cause });
}

function fromJoseError(error: unknown, issuer: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return invalid("signature", "No signing key of the provider matches the ID token's header.", error);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalid("signature", "The ID token's signature does not check with the provider's keys.", error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return invalid("algorithm", "The ID token is signed with an algorithm that is not accepted.", error);
  }
  if (error instanceof errors.JWTExpired) {
    return invalid("expired", "The ID token has expired.", error);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return invalid("issuer", `The ID token was not issued by ${issuer}.`, error);
    if (error.claim === "aud") return invalid("audience", "The ID token was issued for another client.", error);
    if (error.claim === "nbf" || error.claim === "iat") {
      return invalid("expired", "The ID token is not valid yet (check the clocks).", error);
    }
    return invalid("malformed", `The ID token's ${error.claim} claim is missing or invalid.`, error);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return invalid("malformed", "The ID token is not a well-formed signed JWT.", error);
  }
  // What is left is the key set's fetch: a timeout, a refused connection, a non-200 or non-JSON answer.
  return unavailable(issuer, "reading its signing keys", (error as Error)?.message ?? String(error), error);
}

import { ApiError } from "../../../core/errors";
import { findUserByIdentity, linkIdentity } from "../../../data/accounts/identities";
import { createUser, type NewIdentity } from "../../../data/accounts/users";
import type { IdTokenClaims } from "./id-token";

/** The longest display name taken from a provider's `name` claim. */
const MAX_DISPLAY_NAME = 100;

/** The identity an ID token proves: `oidc:<provider name>` and the provider's subject. */
export function identityOf(providerName: string, claims: IdTokenClaims): NewIdentity {
  return {
    provider: `oidc:${providerName}`,
    subject: claims.sub,
    email: typeof claims.email === "string" ? claims.email.slice(0, 320) : null,
  };
}

/**
 * The user a verified ID token signs in: with `linkUserId`, that user, who gains the identity
 * (a guest keeps its user id and stops being a guest); otherwise the identity's user, or a new
 * one. An identity belongs to one user: linking another user's is a typed conflict, and two
 * first sign-ins racing end with one user, not two.
 *
 * @throws {ApiError} `identity_conflict` when linking an identity another user has; `not_found`
 * when the user to link to is gone.
 */
export async function userForIdentity(
  db: D1Database,
  projectId: string,
  providerName: string,
  claims: IdTokenClaims,
  linkUserId: string | null,
): Promise<string> {
  const identity = identityOf(providerName, claims);
  const profile = {
    displayName: typeof claims.name === "string" ? claims.name.slice(0, MAX_DISPLAY_NAME) : null,
    emailVerified: identity.email !== null && claims.email_verified === true,
  };
  if (linkUserId !== null) {
    await linkIdentity(db, projectId, linkUserId, identity, profile);
    return linkUserId;
  }
  const existing = await findUserByIdentity(db, projectId, identity.provider, identity.subject);
  if (existing) return existing.id;
  try {
    return (await createUser(db, projectId, profile, identity)).id;
  } catch (error) {
    // Another first sign-in with this identity created its user a moment ago: that one it is.
    const winner =
      error instanceof ApiError && error.code === "identity_conflict"
        ? await findUserByIdentity(db, projectId, identity.provider, identity.subject)
        : null;
    if (winner) return winner.id;
    throw error;
  }
}

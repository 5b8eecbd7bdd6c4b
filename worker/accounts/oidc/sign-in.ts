import type { OidcStart } from "../../../core/accounts/oidc";
import { ApiError } from "../../../core/errors";
import {
  AUTHORIZATION_TTL_MS,
  claimAuthorization,
  saveAuthorization,
} from "../../../data/accounts/oidc-authorizations";
import { requireOidcProvider } from "../../../data/accounts/oidc-providers";
import { discoverProvider } from "./discovery";
import { type IdTokenClaims, verifyIdToken } from "./id-token";
import { codeChallengeOf, randomToken } from "./pkce";
import { exchangeCode } from "./token-exchange";

export interface StartRequest {
  redirectUrl: string;
  /** The signed-in user to link the identity to, or null to sign in. */
  linkUserId: string | null;
}

/**
 * Step one of a sign-in (docs/auth.md#openid-connect): checks the redirect URL, discovers the
 * provider, stores state, nonce and the verifier's hash, and returns the provider's
 * authorization URL (code flow, PKCE S256) with the verifier for the browser to keep.
 *
 * @throws {ApiError} `not_found` (no such provider), `redirect_url_not_allowed`,
 * `oidc_provider_unavailable`.
 */
export async function startSignIn(
  db: D1Database,
  projectId: string,
  providerName: string,
  request: StartRequest,
): Promise<OidcStart> {
  const provider = await requireOidcProvider(db, projectId, providerName);
  if (!provider.redirect_urls.includes(request.redirectUrl)) {
    throw new ApiError(
      "redirect_url_not_allowed",
      `${request.redirectUrl} is not among the redirect URLs of provider "${providerName}" (they are matched exactly). Add it to the provider's redirect_urls, and register it with the provider too.`,
      { redirect_url: request.redirectUrl, allowed: provider.redirect_urls },
    );
  }
  const { metadata } = await discoverProvider(provider.issuer);
  const state = randomToken();
  const nonce = randomToken();
  const codeVerifier = randomToken();
  const codeChallenge = await codeChallengeOf(codeVerifier);
  const expiresAt = new Date(Date.now() + AUTHORIZATION_TTL_MS).toISOString();
  await saveAuthorization(db, projectId, {
    state,
    provider: providerName,
    nonce,
    code_challenge: codeChallenge,
    redirect_url: request.redirectUrl,
    link_user_id: request.linkUserId,
    expires_at: expiresAt,
  });

  const url = new URL(metadata.authorization_endpoint);
  const query = {
    response_type: "code",
    client_id: provider.client_id,
    redirect_uri: request.redirectUrl,
    scope: provider.scopes.join(" "),
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: "S256",
  };
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return { authorization_url: url.toString(), state, code_verifier: codeVerifier, expires_at: expiresAt };
}

/** What the provider sent the browser back with, and the verifier the start returned. */
export interface CallbackRequest {
  state: string;
  codeVerifier: string;
  code?: string | undefined;
  error?: string | undefined;
  errorDescription?: string | undefined;
}

/** A finished sign-in at the provider: who signed in, and for whom the flow was started. */
export interface ProviderSignIn {
  claims: IdTokenClaims;
  /** The signed-in user the identity is to be linked to, or null for a sign-in. */
  linkUserId: string | null;
}

/**
 * Step two: claims the state (once; with the verifier the start returned), trades the code for
 * an ID token with the client secret and verifies it, nonce included. What to do with the
 * identity (find, create or link a user) is the caller's.
 *
 * @throws {ApiError} `oidc_state_invalid`, `oidc_authorization_failed` (the provider sent an
 * error instead of a code), `oidc_exchange_failed`, `oidc_id_token_invalid`,
 * `oidc_provider_unavailable`, `not_found` (the provider was removed meanwhile).
 */
export async function finishSignIn(
  db: D1Database,
  projectId: string,
  providerName: string,
  request: CallbackRequest,
): Promise<ProviderSignIn> {
  const pending = await claimAuthorization(
    db,
    projectId,
    providerName,
    request.state,
    await codeChallengeOf(request.codeVerifier),
  );
  if (request.code === undefined) {
    const error = (request.error ?? "unknown_error").slice(0, 100);
    throw new ApiError(
      "oidc_authorization_failed",
      `The provider did not sign the user in: ${error}${request.errorDescription ? ` (${request.errorDescription.slice(0, 300)})` : ""}.`,
      { provider_error: error, provider_error_description: request.errorDescription?.slice(0, 300) ?? null },
    );
  }
  const provider = await requireOidcProvider(db, projectId, providerName);
  const { metadata, keys } = await discoverProvider(provider.issuer);
  const idToken = await exchangeCode({
    issuer: provider.issuer,
    metadata,
    clientId: provider.client_id,
    clientSecret: provider.client_secret,
    code: request.code,
    redirectUrl: pending.redirect_url,
    codeVerifier: request.codeVerifier,
  });
  const claims = await verifyIdToken(idToken, {
    issuer: provider.issuer,
    clientId: provider.client_id,
    nonce: pending.nonce,
    keys,
  });
  return { claims, linkUserId: pending.link_user_id };
}

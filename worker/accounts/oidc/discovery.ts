import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { isSecureOrLoopback } from "../../../core/accounts/oidc";
import { fetchProviderJson, PROVIDER_TIMEOUT_MS, unavailable } from "./provider-http";

/** How long a discovery document is trusted before it is fetched again. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

const Endpoint = z
  .url({ protocol: /^https?$/ })
  .refine((value) => URL.canParse(value) && isSecureOrLoopback(new URL(value)), "must be https");

/** The fields of a discovery document (OpenID Connect Discovery 1.0 §3) the sign-in uses. */
const ProviderMetadataSchema = z.object({
  issuer: z.string(),
  authorization_endpoint: Endpoint,
  token_endpoint: Endpoint,
  jwks_uri: Endpoint,
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  code_challenge_methods_supported: z.array(z.string()).optional(),
});

export type ProviderMetadata = z.infer<typeof ProviderMetadataSchema>;

/** A provider as discovered: its endpoints and its signing keys (fetched, cached and refreshed by jose). */
export interface DiscoveredProvider {
  metadata: ProviderMetadata;
  keys: JWTVerifyGetKey;
}

/**
 * Per isolate, by issuer: an isolate serves many sign-ins, and a provider's endpoints and keys
 * rarely change (jose refetches the key set on its own when a token names an unknown `kid`).
 * Only a finished discovery is kept, never a promise another request would wait on (workerd ties
 * I/O to the request that started it), and never a failure, so the next sign-in tries again.
 */
const cache = new Map<string, { expiresAt: number; discovered: DiscoveredProvider }>();
/** Issuers kept at once; a deployment has a handful of providers. */
const MAX_CACHED_ISSUERS = 100;

/**
 * The provider behind `issuer`: its discovery document, checked (the issuer it states must be
 * this one, exactly, §4.3), and its key set.
 *
 * @throws {ApiError} `oidc_provider_unavailable`.
 */
export async function discoverProvider(issuer: string): Promise<DiscoveredProvider> {
  const cached = cache.get(issuer);
  if (cached && cached.expiresAt > Date.now()) return cached.discovered;
  const discovered = await fetchDiscovery(issuer);
  if (cache.size >= MAX_CACHED_ISSUERS) cache.delete(cache.keys().next().value as string);
  cache.set(issuer, { expiresAt: Date.now() + DISCOVERY_TTL_MS, discovered });
  return discovered;
}

async function fetchDiscovery(issuer: string): Promise<DiscoveredProvider> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const doing = "reading its discovery document";
  const { status, body } = await fetchProviderJson(issuer, doing, url);
  if (status !== 200) throw unavailable(issuer, doing, `${url} answered ${status}`);
  const parsed = ProviderMetadataSchema.safeParse(body);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))].join(", ");
    throw unavailable(issuer, doing, `the document at ${url} lacks or has invalid ${fields}`);
  }
  const metadata = parsed.data;
  if (metadata.issuer !== issuer) {
    throw unavailable(issuer, doing, `the document names its issuer "${metadata.issuer}", not "${issuer}"`);
  }
  if (metadata.code_challenge_methods_supported && !metadata.code_challenge_methods_supported.includes("S256")) {
    throw unavailable(issuer, doing, "the provider does not support PKCE with S256");
  }
  const keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: PROVIDER_TIMEOUT_MS });
  return { metadata, keys };
}

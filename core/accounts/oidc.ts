/**
 * OpenID Connect sign-in on the wire: a project's provider configurations (managed with the
 * secret key or the admin API) and the two steps of a sign-in, `start` and `callback`
 * (docs/auth.md#openid-connect). Requests and responses as zod schemas, for the routes and the
 * OpenAPI document; the SDK takes the inferred types with `import type` only.
 *
 * @module
 */
import { z } from "zod";

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });

/** Provider names: they become part of identities (`oidc:<name>`) and of paths. */
export const OIDC_PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export const OidcProviderName = z
  .string()
  .regex(
    OIDC_PROVIDER_NAME_PATTERN,
    "a provider name is 1 to 32 of a-z, 0-9, _ and -, starting with a letter or digit",
  );

/** Hosts where plain http is accepted, for providers and apps on the developer's own machine. */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** An https URL, or http on a loopback host. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
}

/**
 * The issuer identifier, exactly as the provider states it in its discovery document and ID
 * tokens (`https://accounts.google.com`): https, or http on a loopback host; no query or fragment.
 */
const Issuer = z
  .url({ protocol: /^https?$/ })
  .max(500)
  .refine((value) => URL.canParse(value) && isSecureOrLoopback(new URL(value)), {
    message: "the issuer must be an https URL (plain http only on localhost, 127.0.0.1 or [::1])",
  })
  .refine((value) => !value.includes("?") && !value.includes("#"), {
    message: "the issuer has no query and no fragment",
  });

/** A page of the app the provider may send the browser back to, matched exactly. */
const RedirectUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((value) => !value.includes("#"), { message: "a redirect URL has no fragment" });

/** A scope token (RFC 6749 §3.3): printable ASCII without spaces, quotes or backslashes. */
const Scope = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, "a scope is printable ASCII without spaces, quotes or backslashes");

/** Scopes to ask for; `openid` is always asked for, whether listed or not. */
const Scopes = z
  .array(Scope)
  .max(20)
  .transform((scopes) => [...new Set(["openid", ...scopes])]);

const ClientId = z.string().min(1).max(500);
const ClientSecret = z.string().min(1).max(2000);
const RedirectUrls = z.array(RedirectUrl).min(1).max(20);

/** `POST …/oidc/providers`: a new provider configuration. */
export const CreateOidcProviderBody = z.object({
  name: OidcProviderName,
  issuer: Issuer,
  client_id: ClientId,
  client_secret: ClientSecret.meta({ description: "Write-only: never returned." }),
  scopes: Scopes.default(["openid", "email", "profile"]),
  redirect_urls: RedirectUrls.meta({
    description:
      "The app's pages the provider may send the browser back to; a start's redirect_url must be one of them, exactly.",
  }),
});

/** `PATCH …/oidc/providers/:name`: only the fields sent change. */
export const UpdateOidcProviderBody = z.object({
  issuer: Issuer.optional(),
  client_id: ClientId.optional(),
  client_secret: ClientSecret.optional(),
  scopes: Scopes.optional(),
  redirect_urls: RedirectUrls.optional(),
});

/** A provider configuration as listed: everything but the client secret. */
export const OidcProviderSchema = z.object({
  name: z.string(),
  issuer: z.string(),
  client_id: z.string(),
  scopes: z.array(z.string()),
  redirect_urls: z.array(z.string()),
  created_at: IsoTime,
  updated_at: IsoTime,
});

export const OidcProviderListSchema = z.object({ items: z.array(OidcProviderSchema), next_cursor: z.null() });

/** `POST /v1/auth/oidc/:provider/start`. */
export const OidcStartBody = z.object({
  redirect_url: z.string().max(2000).meta({ description: "One of the provider's redirect_urls, exactly." }),
  link: z
    .boolean()
    .default(false)
    .meta({ description: "Link the identity to the signed-in user (a user token is required) instead of signing in." }),
});

export const OidcStartSchema = z.object({
  authorization_url: z.string().meta({ description: "Where to send the browser: the provider's sign-in page." }),
  state: z.string(),
  code_verifier: z.string().meta({
    description:
      "The PKCE verifier. Keep it in the browser that started (only its hash is stored) and send it back with the callback.",
  }),
  expires_at: IsoTime.meta({ description: "The callback must come before then." }),
});

/** What a state, a code verifier and a code look like: bounded, URL-safe printable text. */
const FlowToken = z.string().regex(/^[\x21-\x7E]{1,2000}$/, "printable ASCII, 1 to 2000 characters");

/**
 * `POST /v1/auth/oidc/:provider/callback`: the query the provider sent the browser back with
 * (`code` and `state`, or `error`), and the verifier the start returned.
 */
export const OidcCallbackBody = z
  .object({
    state: FlowToken,
    code_verifier: FlowToken,
    code: FlowToken.optional(),
    error: z.string().max(200).optional(),
    error_description: z.string().max(1000).optional(),
  })
  .refine((body) => (body.code === undefined) !== (body.error === undefined), {
    message: "send either code (the provider signed the user in) or error (it did not), not both",
    path: ["code"],
  });

export type OidcProvider = z.infer<typeof OidcProviderSchema>;
export type CreateOidcProviderInput = z.input<typeof CreateOidcProviderBody>;
export type UpdateOidcProviderInput = z.input<typeof UpdateOidcProviderBody>;
export type OidcStart = z.infer<typeof OidcStartSchema>;
export type OidcStartInput = z.input<typeof OidcStartBody>;
export type OidcCallbackInput = z.input<typeof OidcCallbackBody>;

/**
 * Why an ID token was refused (`details.reason` of `oidc_id_token_invalid`): its signature does
 * not check with the provider's keys (or no key has its `kid`), it uses an algorithm we do not
 * accept, it was issued by someone else, for another client, has expired (or is not yet valid),
 * carries another sign-in's nonce, or is not a well-formed JWT with the required claims.
 */
export const ID_TOKEN_PROBLEMS = [
  "signature",
  "algorithm",
  "issuer",
  "audience",
  "expired",
  "nonce",
  "malformed",
] as const;
export type IdTokenProblem = (typeof ID_TOKEN_PROBLEMS)[number];

/**
 * Why a callback's state was refused (`details.reason` of `oidc_state_invalid`): no sign-in
 * started with it (for this project and provider), it expired, a callback already used it, or
 * the code verifier is not the one the start returned.
 */
export const STATE_PROBLEMS = ["unknown", "expired", "used", "verifier_mismatch"] as const;
export type StateProblem = (typeof STATE_PROBLEMS)[number];

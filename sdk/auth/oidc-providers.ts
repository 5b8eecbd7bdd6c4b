import type { CreateOidcProviderInput, OidcProvider, UpdateOidcProviderInput } from "../../core/accounts/oidc.js";
import { type ClientCore, clientFeature, type FlarebaseClient } from "../client.js";
import { type CallOptions, path, request, type Transport } from "../http.js";
import type { Page } from "../types.js";

/**
 * Managing one project's OpenID Connect providers: with the admin client
 * (`admin.oidcProviders(projectId)`) or a secret key (`oidcProviders(client)`). Client secrets
 * are write-only: no answer contains one.
 */
export interface OidcProvidersApi {
  /**
   * The project's providers, by name, without their secrets.
   *
   * @example
   * const { items } = await admin.oidcProviders(projectId).list();
   */
  list(options?: CallOptions): Promise<Page<OidcProvider>>;

  /**
   * Adds a provider. `scopes` default to `openid email profile` (`openid` is always asked for);
   * `redirect_urls` are the app's pages the provider may send users back to, matched exactly,
   * and must be registered with the provider too.
   *
   * @example
   * await admin.oidcProviders(projectId).create({
   *   name: "google",
   *   issuer: "https://accounts.google.com",
   *   client_id: process.env.GOOGLE_CLIENT_ID!,
   *   client_secret: process.env.GOOGLE_CLIENT_SECRET!,
   *   redirect_urls: ["https://app.example/auth/callback"],
   * });
   *
   * @throws {FlarebaseError} `conflict` (409) when the name is taken, `invalid_request` (400) for
   * an issuer that is not https (plain http only on loopback), a bad name, scope or URL.
   */
  create(input: CreateOidcProviderInput, options?: CallOptions): Promise<OidcProvider>;

  /** @throws {FlarebaseError} `not_found` (404). */
  get(name: string, options?: CallOptions): Promise<OidcProvider>;

  /**
   * Changes the fields given (send `client_secret` to rotate it); the others stay.
   *
   * @example
   * await admin.oidcProviders(projectId).update("google", { redirect_urls: [...urls, "https://beta.app.example/cb"] });
   *
   * @throws {FlarebaseError} `not_found` (404), `invalid_request` (400).
   */
  update(name: string, patch: UpdateOidcProviderInput, options?: CallOptions): Promise<OidcProvider>;

  /**
   * Removes a provider: sign-ins in flight with it fail; its users keep their accounts.
   *
   * @throws {FlarebaseError} `not_found` (404).
   */
  delete(name: string, options?: CallOptions): Promise<void>;
}

/** The provider endpoints under `base` (`/v1/auth/oidc-providers` or an admin project's). */
export function createOidcProvidersApi(transport: Transport, base: string): OidcProvidersApi {
  const one = (name: string) => `${base}${path`/${name}`}`;
  return {
    list: (options) => request(transport, "GET", base, options),
    create: (input, options) => request(transport, "POST", base, { ...options, body: input }),
    get: (name, options) => request(transport, "GET", one(name), options),
    update: (name, patch, options) => request(transport, "PATCH", one(name), { ...options, body: patch }),
    delete: (name, options) => request(transport, "DELETE", one(name), options),
  };
}

const secretKeyProvidersApi = (core: ClientCore) => createOidcProvidersApi(core, "/v1/auth/oidc-providers");

/**
 * The project's OpenID Connect providers, for a server holding the secret key (opt-in: an app
 * that never imports it ships none of it).
 *
 * @example
 * import { createClient, oidcProviders } from "flarebase";
 * const server = createClient({ url, key: process.env.FLAREBASE_SECRET_KEY });
 * await oidcProviders(server).update("google", { client_secret: rotated });
 *
 * @throws {TypeError} when `client` was not made by `createClient`.
 */
export function oidcProviders(client: FlarebaseClient): OidcProvidersApi {
  return clientFeature(client, secretKeyProvidersApi);
}

import { createOidcAuthApi, type OidcAuthApi } from "./auth/oidc.js";
import { adoptSession } from "./auth/session-registry.js";
import type { ClientCore } from "./client.js";
import { type CallOptions, request } from "./http.js";
import type { AuthInfo, TokenRequest, TokenResponse } from "./types.js";

/** `client.auth`: user tokens, the caller's identity, and signing in with OpenID Connect. */
export interface AuthApi extends OidcAuthApi {
  /**
   * Mints a token for one of your users, for apps that run their own sign-in. Needs a client
   * created with a secret key (`sk_…`), so call it on your server, never in a browser; hand the
   * token to the browser, which passes it to `createClient({ url, token })`.
   *
   * @example
   * const admin = createClient({ url, key: process.env.FLAREBASE_SECRET_KEY });
   * const { token, expires_at } = await admin.auth.createToken({ user_id: "u_42", role: "editor" });
   *
   * @throws {FlarebaseError} `forbidden` (403) with a public key or a token, `unauthorized` (401)
   * for a missing, invalid or revoked key, `invalid_request` (400) for a bad user id, role, claims
   * or ttl (see `details.issues`).
   */
  createToken(input: TokenRequest, options?: CallOptions): Promise<TokenResponse>;

  /**
   * Who the server thinks is calling: the project, the kind of credential, and for a token the
   * user id, role and claims. Handy to check that a token is still accepted.
   *
   * @example
   * const me = await client.auth.me();
   * if (me.kind === "user") console.log(`signed in as ${me.user_id}`);
   *
   * @throws {FlarebaseError} `unauthorized` (401) without valid credentials, `token_expired` (401)
   * for an expired token, `origin_not_allowed` (403) from a browser origin the project does not allow.
   */
  me(options?: CallOptions): Promise<AuthInfo>;
}

/** Builds `client.auth` on the client's internals. */
export function createAuthApi(core: ClientCore): AuthApi {
  return {
    createToken: (input, options) => request(core, "POST", "/v1/auth/token", { ...options, body: input }),
    me: (options) => request(core, "GET", "/v1/auth/me", options),
    ...createOidcAuthApi(core, (session) => adoptSession(core, session)),
  };
}

import type { OidcStart } from "../../core/accounts/oidc.js";
import type { SessionTokens } from "../../core/rest/accounts.js";
import type { ClientCore } from "../client.js";
import { FlarebaseError } from "../errors.js";
import { type CallOptions, path, request } from "../http.js";
import { savePendingFlow, takePendingFlow } from "./oidc-flows.js";

/** Options of `signInWithOidc` and `linkOidc`. */
export interface OidcRedirectOptions extends CallOptions {
  /**
   * The page of your app the provider sends the browser back to, where you call
   * `handleOidcCallback`: one of the provider's `redirect_urls`, exactly.
   */
  redirectUrl: string;
  /**
   * Sends the browser to the provider's sign-in page. Default: `location.assign(url)`. Pass your
   * own outside a page (a popup, a test).
   */
  navigate?: ((authorizationUrl: string) => void | Promise<void>) | undefined;
}

/** Options of `handleOidcCallback`. */
export interface OidcCallbackOptions extends CallOptions {
  /**
   * When the URL is the page's own (no `url` argument), replace it in the address bar without
   * `code` and `state`, so a reload does not replay them. Default true.
   */
  cleanUrl?: boolean | undefined;
}

/** The OpenID Connect part of `client.auth`. */
export interface OidcAuthApi {
  /**
   * Signs in with an OpenID Connect provider of the project (the redirect flow): asks the server
   * for the provider's sign-in URL, keeps the PKCE verifier in this tab (`sessionStorage`), and
   * sends the browser there. The provider sends it back to `redirectUrl`, where
   * `handleOidcCallback()` finishes the sign-in.
   *
   * @example
   * button.onclick = () => client.auth.signInWithOidc("google", { redirectUrl: `${location.origin}/auth/callback` });
   *
   * @throws {FlarebaseError} `not_found` (404) for a provider the project does not have,
   * `redirect_url_not_allowed` (400) for a URL not in its `redirect_urls`,
   * `oidc_provider_unavailable` (502) when the provider's discovery document cannot be read.
   */
  signInWithOidc(provider: string, options: OidcRedirectOptions): Promise<void>;

  /**
   * Like `signInWithOidc`, for the signed-in user (a guest, typically): the provider's identity
   * is added to this user, who keeps their user id (and so their documents, files and history).
   * Finish with `handleOidcCallback()` as for a sign-in.
   *
   * @example
   * await client.auth.signInAnonymously();
   * // … later, the guest decides to keep their work:
   * await client.auth.linkOidc("google", { redirectUrl: `${location.origin}/auth/callback` });
   *
   * @throws {FlarebaseError} `forbidden` (403) when no user is signed in, and the errors of `signInWithOidc`.
   */
  linkOidc(provider: string, options: OidcRedirectOptions): Promise<void>;

  /**
   * Finishes a sign-in (or link) on the page the provider sent the browser back to: reads `code`
   * and `state` (or `error`) from the URL, checks that this tab started that sign-in, and trades
   * them with the server for a session, which becomes the client's. Returns `null` when the URL
   * is not a sign-in callback, so it can run on every load of the page.
   *
   * @example
   * // on /auth/callback
   * const session = await client.auth.handleOidcCallback();
   * if (session) location.replace("/");
   *
   * @throws {FlarebaseError} `oidc_state_invalid` (status 0 when this tab started no sign-in with
   * that state, e.g. a link planted by someone else; 400 when the server refuses it: expired,
   * used); `oidc_authorization_failed` (401: the user cancelled or the provider refused, see
   * `details.provider_error`); `oidc_exchange_failed` (401), `oidc_id_token_invalid` (401,
   * `details.reason`), `oidc_provider_unavailable` (502); `identity_conflict` (409) when linking
   * an identity another user already has; `user_disabled` (403).
   */
  handleOidcCallback(url?: string | URL, options?: OidcCallbackOptions): Promise<SessionTokens | null>;
}

/** The query parameters a provider's redirect carries (OAuth 2.0, RFC 9207's `iss`). */
const CALLBACK_PARAMS = ["code", "state", "error", "error_description", "error_uri", "iss", "session_state"];

/**
 * Builds the OpenID Connect methods of `client.auth` on the client's internals; `adopt` makes a
 * session the client's (stores it, signs in).
 */
export function createOidcAuthApi(core: ClientCore, adopt: (session: SessionTokens) => Promise<void>): OidcAuthApi {
  const redirect = async (provider: string, options: OidcRedirectOptions, link: boolean) => {
    const { redirectUrl, navigate = defaultNavigate, ...callOptions } = options;
    const start = await request<OidcStart>(core, "POST", path`/v1/auth/oidc/${provider}/start`, {
      ...callOptions,
      body: { redirect_url: redirectUrl, link },
    });
    savePendingFlow(start.state, {
      server: core.url,
      provider,
      codeVerifier: start.code_verifier,
      expiresAt: start.expires_at,
    });
    await navigate(start.authorization_url);
  };

  return {
    signInWithOidc: (provider, options) => redirect(provider, options, false),
    linkOidc: (provider, options) => redirect(provider, options, true),

    async handleOidcCallback(url, options = {}) {
      const { cleanUrl = true, ...callOptions } = options;
      const pageUrl = url === undefined ? currentPageUrl() : null;
      const callbackUrl = new URL(url ?? pageUrl ?? "");
      const query = callbackUrl.searchParams;
      const state = query.get("state");
      if (state === null || (!query.has("code") && !query.has("error"))) return null;
      if (pageUrl !== null && cleanUrl) removeCallbackParams(callbackUrl);

      const flow = takePendingFlow(state);
      if (!flow || flow.server !== core.url) {
        throw new FlarebaseError({
          status: 0,
          code: "oidc_state_invalid",
          message:
            "This tab started no sign-in with the state in this URL (it may come from another tab, an old link, or someone else). Start the sign-in again.",
          details: { reason: "unknown" },
          url: callbackUrl.toString(),
        });
      }
      const session = await request<SessionTokens>(core, "POST", path`/v1/auth/oidc/${flow.provider}/callback`, {
        ...callOptions,
        body: {
          state,
          code_verifier: flow.codeVerifier,
          code: query.get("code") ?? undefined,
          error: query.has("code") ? undefined : (query.get("error") ?? undefined),
          error_description: query.has("code") ? undefined : (query.get("error_description") ?? undefined),
        },
      });
      await adopt(session);
      return session;
    },
  };
}

function defaultNavigate(authorizationUrl: string) {
  const location = (globalThis as { location?: { assign(url: string): void } }).location;
  if (!location) {
    throw new TypeError(
      "Flarebase: signInWithOidc needs a browser page to send to the provider; outside one, pass { navigate(url) { … } }.",
    );
  }
  location.assign(authorizationUrl);
}

function currentPageUrl(): string {
  const href = (globalThis as { location?: { href: string } }).location?.href;
  if (!href) throw new TypeError("Flarebase: handleOidcCallback() without a URL needs a browser page; pass the URL.");
  return href;
}

/** Takes the sign-in's parameters out of the address bar, keeping the page's own. */
function removeCallbackParams(url: URL) {
  const history = (globalThis as { history?: History }).history;
  if (!history) return;
  const clean = new URL(url);
  for (const name of CALLBACK_PARAMS) clean.searchParams.delete(name);
  history.replaceState(history.state, "", clean.toString());
}

import type {
  AccountUser,
  AnonymousSignInInput,
  ChangePasswordInput,
  LinkPasswordInput,
  OneTimeToken,
  OneTimeTokenRequest,
  ResetPasswordInput,
  SessionInfo,
  SessionTokens,
  SignInInput,
  SignUpInput,
  UpdateProfileInput,
} from "../../core/rest/accounts.js";
import { type ClientCore, clientFeature, type FlarebaseClient } from "../client.js";
import { type CallOptions, path, request } from "../http.js";
import type { Listener, Unsubscribe } from "../realtime/emitter.js";
import type { OidcAuthApi } from "./oidc.js";
import { type AuthChange, AuthSession } from "./session.js";
import { registerSession } from "./session-registry.js";
import { defaultStorage, type TokenStorage } from "./token-storage.js";

/** Options of {@link accounts}, read the first time it is called for a client. */
export interface AccountsOptions {
  /** Where the session is kept: `localStorage` in browsers and memory elsewhere by default. */
  storage?: TokenStorage | undefined;
  /** The storage key; by default one per server and project key, so two projects never mix. */
  storageKey?: string | undefined;
}

/** The seed SDK's sign-up input: `nickname` is the display name. */
export interface MemberSignUpInput {
  login_id: string;
  password: string;
  nickname?: string;
}

/**
 * `accounts(client)`: end users signing up, in and out, their sessions and recovery. OpenID
 * Connect (`signInWithOidc`, `linkOidc`, `handleOidcCallback`) is here too, the same methods as
 * on `client.auth`, whose sessions this one then keeps.
 */
export interface AccountsApi extends OidcAuthApi {
  /**
   * Signs up with a login id (an email or a user name, as the project chooses) and a password,
   * and signs in: the client sends the user's token from now on, refreshed on its own.
   *
   * @example
   * const user = await accounts(client).signUp({ login_id: "ada@example.com", password, display_name: "Ada" });
   *
   * @throws {FlarebaseError} `identity_conflict` (409) for a taken login id, `weak_password` (400)
   * with `details.reason`, `invalid_request` (400) for a login id of the wrong kind, `rate_limited`
   * (429, `details.retry_after_ms`), `forbidden` (403) when the project closed sign-ups.
   */
  signUp(input: SignUpInput, options?: CallOptions): Promise<AccountUser>;

  /**
   * Signs in with a login id and a password.
   *
   * @example
   * await accounts(client).signIn({ login_id: "ada@example.com", password });
   *
   * @throws {FlarebaseError} `invalid_credentials` (401) for a wrong password or an unknown login
   * id alike, `user_disabled` (403), `rate_limited` (429).
   */
  signIn(input: SignInInput, options?: CallOptions): Promise<AccountUser>;

  /**
   * Signs in as a new guest (`is_anonymous: true`). {@link AccountsApi.linkPassword} later keeps
   * its user id and everything it owns.
   *
   * @example
   * const guest = await accounts(client).signInAnonymously();
   *
   * @throws {FlarebaseError} `forbidden` (403) when the project allows no guests, `rate_limited` (429).
   */
  signInAnonymously(input?: AnonymousSignInInput, options?: CallOptions): Promise<AccountUser>;

  /**
   * Gives the signed-in user (a guest) a login id and a password: the same user id, no longer
   * anonymous. The session goes on.
   *
   * @example
   * await accounts(client).linkPassword({ login_id: "guest@example.com", password });
   *
   * @throws {FlarebaseError} `identity_conflict` (409) when the login id is another user's,
   * `conflict` (409) when the user already has a password, `weak_password` (400).
   */
  linkPassword(input: LinkPasswordInput, options?: CallOptions): Promise<AccountUser>;

  /**
   * Signs out: ends the session on the server (best effort) and here, whatever the network says.
   *
   * @example
   * await accounts(client).signOut();
   */
  signOut(options?: CallOptions): Promise<void>;

  /**
   * Refreshes the session now (it also happens on its own before the access token expires, once
   * across the tabs of a browser).
   *
   * @throws {FlarebaseError} `invalid_refresh_token` (401) when the session has ended (then
   * signed out), a network error otherwise (still signed in).
   */
  refresh(): Promise<AccountUser | null>;

  /** The signed-in user, or null (after {@link AccountsApi.ready}, the stored session's). */
  readonly currentUser: AccountUser | null;

  /** Resolves once the session stored by an earlier page load (if any) is back. */
  ready(): Promise<AccountUser | null>;

  /**
   * Listens to sign-ins, sign-outs, refreshes and user updates, in this tab or another.
   *
   * @example
   * const off = accounts(client).onAuthStateChange(({ type, user }) => render(user));
   */
  onAuthStateChange(listener: Listener<AuthChange>): Unsubscribe;

  /** The signed-in user's access token (refreshed when due), e.g. for your own backend; null when signed out. */
  accessToken(): Promise<string | null>;

  /** Reads the signed-in user from the server (refused at once if its session has ended). */
  getUser(options?: CallOptions): Promise<AccountUser>;

  /** Changes the signed-in user's display name or profile. */
  updateProfile(input: UpdateProfileInput, options?: CallOptions): Promise<AccountUser>;

  /**
   * Changes the password; every other session of the user ends.
   *
   * @throws {FlarebaseError} `invalid_credentials` (401) for a wrong current password, `weak_password` (400).
   */
  changePassword(input: ChangePasswordInput, options?: CallOptions): Promise<AccountUser>;

  /** The signed-in user's sessions (devices). */
  readonly sessions: {
    /** Live sessions, newest first; `current` marks this one. */
    list(options?: CallOptions): Promise<SessionInfo[]>;
    /** Ends one session (another device); its refresh token stops working. */
    revoke(sessionId: string, options?: CallOptions): Promise<void>;
    /** Ends every session, this one included (signed out everywhere). */
    revokeAll(options?: CallOptions): Promise<void>;
  };

  /**
   * Server side, with a secret key: a one-time password-reset token for a user, for your server
   * to deliver (its own mail). Also sent to the project's webhook, if set.
   *
   * @example
   * const server = createClient({ url, key: process.env.FLAREBASE_SECRET_KEY });
   * const { token } = await accounts(server).requestPasswordReset({ login_id: "ada@example.com" });
   * await mailer.send(email, `https://app.example/reset?token=${token}`);
   *
   * @throws {FlarebaseError} `forbidden` (403) without a secret key, `not_found` (404) for no such user.
   */
  requestPasswordReset(input: Omit<OneTimeTokenRequest, "purpose">, options?: CallOptions): Promise<OneTimeToken>;

  /** Server side, with a secret key: a one-time email-verification token for a user. */
  requestEmailVerification(input: Omit<OneTimeTokenRequest, "purpose">, options?: CallOptions): Promise<OneTimeToken>;

  /**
   * Redeems a reset token with a new password: every session of the user ends, and this client
   * is signed in with a new one.
   *
   * @throws {FlarebaseError} `invalid_one_time_token` (400) for an unknown, expired or used token, `weak_password` (400).
   */
  resetPassword(input: ResetPasswordInput, options?: CallOptions): Promise<AccountUser>;

  /** Redeems an email-verification token; the user's `email_verified` becomes true. */
  verifyEmail(token: string, options?: CallOptions): Promise<AccountUser>;

  /** The seed SDK's name for {@link AccountsApi.signUp} (`nickname` is the display name). */
  signUpMember(input: MemberSignUpInput, options?: CallOptions): Promise<AccountUser>;
  /** The seed SDK's name for {@link AccountsApi.signIn}. */
  signInMember(input: SignInInput, options?: CallOptions): Promise<AccountUser>;
  /** The seed SDK's name for {@link AccountsApi.signInAnonymously}. */
  signInAsGuestMember(options?: CallOptions): Promise<AccountUser>;

  /**
   * The session itself, for other sign-in methods built on it (OpenID Connect): `accept(answer)`
   * takes any `{ access_token, refresh_token, expires_in, user }` answer, `keyTransport` and
   * `userTransport` send requests with the project key or as the signed-in user.
   */
  readonly session: AuthSession;
}

function createAccountsApi(client: FlarebaseClient, core: ClientCore, options: AccountsOptions): AccountsApi {
  const keyId = core.key?.split("_")[1] ?? "";
  const session = new AuthSession(
    core,
    options.storage ?? defaultStorage(),
    options.storageKey ?? `flarebase.session:${core.url}:${keyId}`,
  );
  const signInWith = async (route: string, body: unknown, callOptions?: CallOptions) =>
    session.accept(await request<SessionTokens>(session.keyTransport, "POST", route, { ...callOptions, body }));
  const asUser = <T>(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    route: string,
    body?: unknown,
    callOptions?: CallOptions,
  ) => request<T>(session.userTransport, method, route, { ...callOptions, body });
  const oneTimeToken =
    (purpose: OneTimeTokenRequest["purpose"]) =>
    (input: Omit<OneTimeTokenRequest, "purpose">, callOptions?: CallOptions) =>
      request<OneTimeToken>(core, "POST", "/v1/auth/one-time-tokens", { ...callOptions, body: { ...input, purpose } });

  registerSession(core, (answer) => session.accept(answer));

  const api: AccountsApi = {
    signInWithOidc: client.auth.signInWithOidc,
    linkOidc: client.auth.linkOidc,
    handleOidcCallback: client.auth.handleOidcCallback,
    signUp: (input, callOptions) => signInWith("/v1/auth/sign-up", input, callOptions),
    signIn: (input, callOptions) => signInWith("/v1/auth/sign-in", input, callOptions),
    signInAnonymously: (input = {}, callOptions) => signInWith("/v1/auth/anonymous", input, callOptions),
    linkPassword: async (input, callOptions) =>
      session.updateUser(await asUser<AccountUser>("POST", "/v1/auth/link/password", input, callOptions)),
    async signOut(callOptions) {
      await session.ready();
      const refreshToken = session.refreshToken;
      if (!refreshToken) return;
      try {
        await request(session.keyTransport, "POST", "/v1/auth/sign-out", {
          ...callOptions,
          body: { refresh_token: refreshToken },
        });
      } finally {
        // Signed out here even when the server could not be told (its session then expires).
        await session.clear();
      }
    },
    async refresh() {
      await session.refresh();
      return session.user;
    },
    get currentUser() {
      return session.user;
    },
    ready: async () => {
      await session.ready();
      return session.user;
    },
    onAuthStateChange: (listener) => session.onChange(listener),
    accessToken: () => session.accessToken(),
    getUser: async (callOptions) =>
      session.updateUser(await asUser<AccountUser>("GET", "/v1/auth/user", undefined, callOptions)),
    updateProfile: async (input, callOptions) =>
      session.updateUser(await asUser<AccountUser>("PATCH", "/v1/auth/user", input, callOptions)),
    changePassword: async (input, callOptions) =>
      session.updateUser(await asUser<AccountUser>("POST", "/v1/auth/password", input, callOptions)),
    sessions: {
      list: async (callOptions) =>
        (await asUser<{ items: SessionInfo[] }>("GET", "/v1/auth/sessions", undefined, callOptions)).items,
      revoke: async (sessionId, callOptions) => {
        await asUser("DELETE", path`/v1/auth/sessions/${sessionId}`, undefined, callOptions);
      },
      async revokeAll(callOptions) {
        await asUser("DELETE", "/v1/auth/sessions", undefined, callOptions);
        await session.clear();
      },
    },
    requestPasswordReset: oneTimeToken("password_reset"),
    requestEmailVerification: oneTimeToken("verify_email"),
    resetPassword: (input, callOptions) => signInWith("/v1/auth/password-reset", input, callOptions),
    verifyEmail: async (token, callOptions) => {
      const user = await request<AccountUser>(session.keyTransport, "POST", "/v1/auth/verify-email", {
        ...callOptions,
        body: { token },
      });
      return session.user?.id === user.id ? session.updateUser(user) : user;
    },
    signUpMember: ({ nickname, ...input }, callOptions) =>
      api.signUp(nickname === undefined ? input : { ...input, display_name: nickname }, callOptions),
    signInMember: (input, callOptions) => api.signIn(input, callOptions),
    signInAsGuestMember: (callOptions) => api.signInAnonymously({}, callOptions),
    session,
  };
  return api;
}

const exposeCore = (core: ClientCore) => core;
const built = new WeakMap<ClientCore, AccountsApi>();

/**
 * End-user accounts for `client`, opt-in: an app that never imports `accounts` ships none of its
 * bytes. Call it once at start-up: it brings back the session an earlier page load stored (the
 * user stays signed in across reloads), and returns the same object for the same client after.
 * The client needs the project's public key (`pk_…`); requests and realtime sockets then go as
 * the signed-in user, and follow each refreshed token.
 *
 * @example
 * import { accounts, createClient } from "flarebase";
 * const client = createClient({ url, key: "pk_…" });
 * const auth = accounts(client);
 * if (!(await auth.ready())) await auth.signInAnonymously();
 * await client.collection("notes").create({ owner: auth.currentUser?.id, text: "hi" });
 *
 * @throws {TypeError} when `client` was not made by `createClient`.
 */
export function accounts(client: FlarebaseClient, options: AccountsOptions = {}): AccountsApi {
  const core = clientFeature(client, exposeCore);
  let api = built.get(core);
  if (!api) {
    api = createAccountsApi(client, core, options);
    built.set(core, api);
  }
  return api;
}

import { type AuthApi, createAuthApi } from "./auth.js";
import { createCollection } from "./collection.js";
import { createCollectionsApi } from "./collections.js";
import {
  type CallOptions,
  checkTimeout,
  defaultFetch,
  type FetchLike,
  type HttpMethod,
  normalizeBaseUrl,
  type RequestOptions,
  request,
  requestRaw,
  type Transport,
} from "./http.js";
import { createRealtimeApi, type RealtimeOptions } from "./realtime/realtime.js";
import type { HealthStatus } from "./types.js";

/**
 * A user token, or a function returning one (possibly async) that is called before every request
 * and every socket connection, so an app can refresh tokens; cache inside it. A function that
 * returns `null` or `undefined` means "no token now": the key, if any, is used instead.
 */
export type TokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

/** A `WebSocket` constructor: the browser's, Node 22's global, or `ws`'s. */
export type WebSocketConstructor = new (url: string | URL, protocols?: string | string[]) => WebSocket;

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The server's base URL, e.g. `https://flarebase.example.workers.dev` or `http://127.0.0.1:8787`. */
  url: string;
  /** A project API key: `pk_…` in browsers; `sk_…` only on servers (it bypasses security rules). */
  key?: string | undefined;
  /** A user token (or a function returning one). When both are set, the token is sent. */
  token?: TokenSource | null | undefined;
  /** The fetch to use; defaults to the global `fetch`. */
  fetch?: FetchLike | undefined;
  /** The WebSocket constructor for realtime; defaults to `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor | undefined;
  /** Per-request timeout in milliseconds; `0` disables it. Default 30000. */
  timeoutMs?: number | undefined;
  /** Realtime settings: this client's id on channels (with a key) and the reconnect policy. */
  realtime?: RealtimeOptions | undefined;
}

/** The current credentials, resolved: what a request or a socket will authenticate with. */
export interface Credentials {
  token: string | null;
  key: string | null;
}

/**
 * The client's internals shared with the modules built on it (collections, realtime, storage):
 * the request transport plus what a socket needs to connect and re-authenticate.
 */
export interface ClientCore extends Transport {
  /** The WebSocket constructor, or undefined when this environment has none. */
  readonly WebSocket: WebSocketConstructor | undefined;
  /** The project API key the client was made with, if any (accounts sign in with it). */
  readonly key: string | null;
  /** `client.setToken`, for the modules that own the token (accounts). */
  setToken(token: TokenSource | null): void;
  /** Resolves the token source (token first, then key). */
  credentials(): Promise<Credentials>;
  /** Calls `listener` after every `setToken()`; returns a function that removes it. */
  onTokenChange(listener: () => void): () => void;
}

/**
 * A Flarebase client for one project. Core modules attach here: each adds its member to this
 * interface (by declaration merging in its own file) and one line to the object in
 * `createClient`, reaching the server through `core`. Opt-in features (storage) do not: they are
 * functions of the client made with {@link clientFeature}, so an app that never imports one ships
 * none of its bytes.
 */
export interface FlarebaseClient {
  /** The server's base URL, normalized (no trailing slash). */
  readonly url: string;

  /** User tokens and the caller's identity. */
  readonly auth: AuthApi;

  /**
   * Checks that the server and its database answer. Needs no credentials.
   *
   * @example
   * const { status, version } = await client.health();
   *
   * @throws {FlarebaseError} `network_error` when the server cannot be reached.
   */
  health(options?: CallOptions): Promise<HealthStatus>;

  /**
   * Replaces the token (a string, a function returning one, or `null` to sign out and fall back
   * to the key). The next request uses it; modules holding connections hear of it through
   * `ClientCore.onTokenChange`.
   *
   * @example
   * client.setToken(async () => (await fetch("/api/flarebase-token").then((r) => r.json())).token);
   * client.setToken(null); // signed out
   */
  setToken(token: TokenSource | null): void;

  /**
   * Sends a request to any endpoint, authenticated like every other call, and returns the parsed
   * JSON body (`undefined` for 204). `path` starts with `/`, e.g. `/v1/auth/me`. The building block
   * for endpoints the SDK has no method for yet.
   *
   * @example
   * const me = await client.request<AuthInfo>("GET", "/v1/auth/me");
   * await client.request("POST", "/v1/things", { body: { name: "x" }, query: { dry_run: true } });
   *
   * @throws {FlarebaseError} with the server's `code`, `status`, `details` and `requestId` for an
   * error answer; `network_error`, `timeout`, `aborted`, `invalid_response` or `token_error` (status 0
   * except `invalid_response`) otherwise.
   */
  request<T = unknown>(method: HttpMethod, path: string, options?: RequestOptions): Promise<T>;

  /**
   * Like `request`, but returns the successful `Response` without reading it (streamed downloads,
   * non-JSON bodies). The timeout covers the wait for the headers only.
   *
   * @example
   * const response = await client.requestRaw("GET", "/v1/files/report.pdf");
   * const blob = await response.blob();
   *
   * @throws {FlarebaseError} like `request`.
   */
  requestRaw(method: HttpMethod, path: string, options?: RequestOptions): Promise<Response>;
}

/** Each client's internals and the opt-in features built on them, kept off the public object. */
const features = new WeakMap<
  FlarebaseClient,
  { core: ClientCore; built: Map<(core: ClientCore) => unknown, unknown> }
>();

/**
 * An opt-in feature's API for `client`, built by `build` on the client's internals the first time
 * and the same object afterwards. A feature is a plain exported function calling this, so that
 * bundlers drop it, and all it imports, from an app that never calls it.
 *
 * @example
 * // sdk/storage/storage.ts
 * export function storage(client: FlarebaseClient): StorageApi {
 *   return clientFeature(client, createStorageApi);
 * }
 * // an app
 * import { createClient, storage } from "flarebase";
 * const avatars = storage(createClient({ url, key })).bucket("avatars");
 *
 * @throws {TypeError} when `client` was not made by {@link createClient}.
 */
export function clientFeature<Api>(client: FlarebaseClient, build: (core: ClientCore) => Api): Api {
  const entry = features.get(client);
  if (!entry) throw new TypeError("Flarebase: pass a client made by createClient().");
  if (!entry.built.has(build)) entry.built.set(build, build(entry.core));
  return entry.built.get(build) as Api;
}

/**
 * Creates a client for one Flarebase project.
 *
 * @example
 * import { createClient } from "flarebase";
 * const client = createClient({ url: "https://flarebase.example.workers.dev", key: "pk_…" });
 * console.log(await client.health());
 *
 * @example
 * // A signed-in user whose token your backend refreshes.
 * const client = createClient({ url, key: "pk_…", token: () => getFreshToken() });
 *
 * @throws {TypeError} when `url` is not an absolute http(s) URL, `timeoutMs` is not a number
 * ≥ 0, or there is no global `fetch` and none was passed.
 */
export function createClient(options: ClientOptions): FlarebaseClient {
  const url = normalizeBaseUrl(options.url);
  const key = options.key || null;
  let token: TokenSource | null = options.token ?? null;
  const listeners = new Set<() => void>();
  if (key?.startsWith("sk_") && typeof document !== "undefined") {
    console.warn("Flarebase: a secret key (sk_…) is in use in a browser page. Use a public key (pk_…) there.");
  }

  const core: ClientCore = {
    url,
    fetch: options.fetch ?? defaultFetch(),
    timeoutMs: checkTimeout(options.timeoutMs),
    WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
    key,
    setToken(next) {
      token = next;
      for (const listener of listeners) listener();
    },
    async credentials() {
      const current = typeof token === "function" ? await token() : token;
      return { token: current || null, key };
    },
    async authHeaders(): Promise<Record<string, string>> {
      const credentials = await core.credentials();
      if (credentials.token) return { Authorization: `Bearer ${credentials.token}` };
      return credentials.key ? { "X-API-Key": credentials.key } : {};
    },
    onTokenChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  const client: FlarebaseClient = {
    url,
    auth: createAuthApi(core),
    ...createRealtimeApi(core, options.realtime),
    health: (callOptions) => request(core, "GET", "/health", callOptions),
    collection: (name) => createCollection(core, name),
    collections: createCollectionsApi(core),
    setToken: (next) => core.setToken(next),
    request: (method, path, requestOptions) => request(core, method, path, requestOptions),
    requestRaw: (method, path, requestOptions) => requestRaw(core, method, path, requestOptions),
  };
  features.set(client, { core, built: new Map() });
  return client;
}

import { createOidcProvidersApi, type OidcProvidersApi } from "./auth/oidc-providers.js";
import { createUsersApi, type UsersApi } from "./auth/users-api.js";
import { createEndpointsApi, type EndpointsApi } from "./endpoints/endpoints-api.js";
import {
  type CallOptions,
  checkTimeout,
  defaultFetch,
  type FetchLike,
  normalizeBaseUrl,
  path,
  request,
  type Transport,
} from "./http.js";
import { createPageMetaApi, type PageMetaApi } from "./sites/page-meta.js";
import { type AdminSitesApi, createSitesApi } from "./sites/sites-api.js";
import { type AdminStorageApi, createAdminStorageApi } from "./storage/buckets-api.js";
import type {
  ApiKeyInfo,
  ChannelCapabilities,
  CreatedApiKey,
  CreatedProject,
  Page,
  Project,
  SigningKeyRotation,
} from "./types.js";

/** Options of {@link createAdminClient}. */
export interface AdminClientOptions {
  /** The server's base URL. */
  url: string;
  /** The deployment's `ADMIN_TOKEN` secret. Server-side and tooling only: it controls every project. */
  adminToken: string;
  /** The fetch to use; defaults to the global `fetch`. */
  fetch?: FetchLike | undefined;
  /** Per-request timeout in milliseconds; `0` disables it. Default 30000. */
  timeoutMs?: number | undefined;
}

/** `admin.projects`. */
export interface AdminProjectsApi {
  /**
   * Creates a project with one public and one secret key, returned only this once.
   *
   * @example
   * const project = await admin.projects.create({ name: "blog", allowed_origins: ["https://blog.example"] });
   * const client = createClient({ url, key: project.keys.public });
   *
   * @throws {FlarebaseError} `invalid_request` (400) for an empty name or an origin that is not an
   * http(s) URL or `*`; `unauthorized` (401) for a wrong admin token.
   */
  create(
    input: { name: string; allowed_origins?: string[]; channel_capabilities?: ChannelCapabilities | null },
    options?: CallOptions,
  ): Promise<CreatedProject>;

  /**
   * Lists projects by id, one page at a time.
   *
   * @example
   * let page = await admin.projects.list({ limit: 100 });
   * while (page.next_cursor) page = await admin.projects.list({ cursor: page.next_cursor });
   *
   * @throws {FlarebaseError} `invalid_request` (400) for a limit outside 1–100.
   */
  list(query?: { limit?: number; cursor?: string }, options?: CallOptions): Promise<Page<Project>>;

  /**
   * Reads one project.
   *
   * @example
   * const project = await admin.projects.get("pabc123");
   *
   * @throws {FlarebaseError} `not_found` (404) when there is no such project.
   */
  get(projectId: string, options?: CallOptions): Promise<Project>;

  /**
   * Renames a project, replaces its allowed browser origins, or sets what public keys may do on
   * realtime channels (`channel_capabilities`; null restores the default: everything).
   *
   * @example
   * await admin.projects.update(id, { allowed_origins: ["https://app.example", "http://localhost:5173"] });
   * await admin.projects.update(id, { channel_capabilities: { "chat:*": ["*"], "news:*": ["subscribe", "history"] } });
   *
   * @throws {FlarebaseError} `not_found` (404), `invalid_request` (400).
   */
  update(
    projectId: string,
    patch: { name?: string; allowed_origins?: string[]; channel_capabilities?: ChannelCapabilities | null },
    options?: CallOptions,
  ): Promise<Project>;

  /**
   * Deletes a project with its keys and signing keys.
   *
   * @example
   * await admin.projects.delete(id);
   *
   * @throws {FlarebaseError} `not_found` (404) when there is no such project.
   */
  delete(projectId: string, options?: CallOptions): Promise<void>;
}

/** `admin.keys`: a project's API keys. */
export interface AdminKeysApi {
  /**
   * Creates one more key for a project; the key itself is returned only this once.
   *
   * @example
   * const { id, key } = await admin.keys.create(projectId, { kind: "public", name: "mobile app" });
   *
   * @throws {FlarebaseError} `not_found` (404) for an unknown project, `invalid_request` (400).
   */
  create(
    projectId: string,
    input: { kind: "public" | "secret"; name?: string },
    options?: CallOptions,
  ): Promise<CreatedApiKey>;

  /**
   * Lists a project's keys (ids and state, never the keys), revoked ones included.
   *
   * @example
   * const { items } = await admin.keys.list(projectId);
   * const live = items.filter((key) => key.revoked_at === null);
   *
   * @throws {FlarebaseError} `not_found` (404) for an unknown project.
   */
  list(projectId: string, options?: CallOptions): Promise<Page<ApiKeyInfo>>;

  /**
   * Revokes a key: it stops working at once. Revoking twice keeps the first `revoked_at`.
   *
   * @example
   * await admin.keys.revoke(projectId, keyId);
   *
   * @throws {FlarebaseError} `not_found` (404) when the project has no such key.
   */
  revoke(projectId: string, keyId: string, options?: CallOptions): Promise<ApiKeyInfo>;
}

/** `admin.signingKeys`: the keys that sign a project's user tokens. */
export interface AdminSigningKeysApi {
  /**
   * Starts signing new tokens with a fresh key. Tokens signed before stay valid until they expire.
   *
   * @example
   * const { kid } = await admin.signingKeys.rotate(projectId);
   *
   * @throws {FlarebaseError} `not_found` (404) for an unknown project.
   */
  rotate(projectId: string, options?: CallOptions): Promise<SigningKeyRotation>;
}

/** The admin API of a Flarebase deployment (see {@link createAdminClient}). */
export interface AdminClient {
  /** The server's base URL, normalized. */
  readonly url: string;
  readonly projects: AdminProjectsApi;
  readonly keys: AdminKeysApi;
  readonly signingKeys: AdminSigningKeysApi;
  /** Any project's buckets, storage usage and quota. */
  readonly storage: AdminStorageApi;
  /**
   * Any project's page meta, with the same methods as `pageMeta(client)`.
   *
   * @example
   * await admin.pageMeta(projectId).setPageMeta("www", { path: "/", title: "Home" });
   */
  pageMeta(projectId: string): PageMetaApi;
  /**
   * Any project's sites and releases, with the same methods as `sites(client)`, and the
   * hostnames (custom domains) they answer, which only the operator maps.
   *
   * @example
   * await admin.sites(projectId).addHostname("www", "www.example.com");
   */
  sites(projectId: string): AdminSitesApi;
  /**
   * One project's OpenID Connect providers (docs/auth.md#openid-connect).
   *
   * @example
   * await admin.oidcProviders(projectId).create({ name: "google", issuer: "https://accounts.google.com", … });
   */
  oidcProviders(projectId: string): OidcProvidersApi;
  /**
   * Any project's endpoints, with the same methods as `endpoint(client)`'s management.
   *
   * @example
   * await admin.endpoints(projectId).register({ label: "comfyui", target: { kind: "tunnel" } });
   */
  endpoints(projectId: string): EndpointsApi;
  /**
   * One project's end users (docs/auth.md#settings-and-user-admin): list, create, get, update
   * (role, claims, disable), delete.
   *
   * @example
   * await admin.users(projectId).update(userId, { disabled: true });
   */
  users(projectId: string): UsersApi;
}

/**
 * A client for the deployment's admin API (`/v1/admin`): projects, API keys, signing keys. It
 * authenticates with the `ADMIN_TOKEN` secret, so use it only in scripts and servers.
 *
 * @example
 * import { createAdminClient } from "flarebase";
 * const admin = createAdminClient({ url: "http://127.0.0.1:8787", adminToken: process.env.ADMIN_TOKEN! });
 * const project = await admin.projects.create({ name: "my-app" });
 *
 * @throws {TypeError} when `url` is not an absolute http(s) URL or `adminToken` is empty.
 */
export function createAdminClient(options: AdminClientOptions): AdminClient {
  if (!options.adminToken) {
    throw new TypeError("Flarebase: createAdminClient needs adminToken (the deployment's ADMIN_TOKEN secret).");
  }
  const transport: Transport = {
    url: normalizeBaseUrl(options.url),
    fetch: options.fetch ?? defaultFetch(),
    timeoutMs: checkTimeout(options.timeoutMs),
    authHeaders: async () => ({ Authorization: `Bearer ${options.adminToken}` }),
  };
  const project = (id: string) => path`/v1/admin/projects/${id}`;

  return {
    url: transport.url,
    projects: {
      create: (input, callOptions) => request(transport, "POST", "/v1/admin/projects", { ...callOptions, body: input }),
      list: (query, callOptions) => request(transport, "GET", "/v1/admin/projects", { ...callOptions, query }),
      get: (id, callOptions) => request(transport, "GET", project(id), callOptions),
      update: (id, patch, callOptions) => request(transport, "PATCH", project(id), { ...callOptions, body: patch }),
      delete: (id, callOptions) => request(transport, "DELETE", project(id), callOptions),
    },
    keys: {
      create: (id, input, callOptions) =>
        request(transport, "POST", `${project(id)}/keys`, { ...callOptions, body: input }),
      list: (id, callOptions) => request(transport, "GET", `${project(id)}/keys`, callOptions),
      revoke: (id, keyId, callOptions) =>
        request(transport, "DELETE", `${project(id)}${path`/keys/${keyId}`}`, callOptions),
    },
    signingKeys: {
      rotate: (id, callOptions) => request(transport, "POST", `${project(id)}/signing-keys/rotate`, callOptions),
    },
    storage: createAdminStorageApi(transport),
    pageMeta: (id) => createPageMetaApi(transport, project(id)),
    sites: (id) => createSitesApi(transport, project(id)),
    oidcProviders: (id) => createOidcProvidersApi(transport, `${project(id)}/oidc-providers`),
    endpoints: (id) => createEndpointsApi(transport, `${project(id)}/endpoints`),
    users: (id) => createUsersApi(transport, `${project(id)}/users`),
  };
}

/**
 * Flarebase browser SDK: a small, dependency-free client for a Flarebase server.
 *
 * @example
 * import { createClient } from "flarebase";
 * const client = createClient({ url: "https://flarebase.example.workers.dev", key: "pk_…" });
 *
 * @module
 */

// Relative imports in sdk/ end in `.js` so that the emitted declarations (dist/types/**/*.d.ts) resolve
// under every `moduleResolution` a consumer may use, `node16`/`nodenext` included.

export type {
  CreateOidcProviderInput,
  IdTokenProblem,
  OidcProvider,
  OidcStart,
  StateProblem,
  UpdateOidcProviderInput,
} from "../core/accounts/oidc.js";
export type * from "../core/documents/wire.js";
export type * from "../core/endpoints/wire.js";
export type * from "../core/files/wire.js";
export type * from "../core/rest/accounts.js";
export type * from "../core/sites/page-meta.js";
export type * from "../core/sites/wire.js";
export type { AdminClient, AdminClientOptions, AdminKeysApi, AdminProjectsApi, AdminSigningKeysApi } from "./admin.js";
export { createAdminClient } from "./admin.js";
export type { AccountsApi, AccountsOptions, MemberSignUpInput } from "./auth/accounts.js";
export { accounts } from "./auth/accounts.js";
export type { OidcAuthApi, OidcCallbackOptions, OidcRedirectOptions } from "./auth/oidc.js";
export type { OidcProvidersApi } from "./auth/oidc-providers.js";
export { oidcProviders } from "./auth/oidc-providers.js";
export type { AuthChange, AuthChangeType, AuthSession } from "./auth/session.js";
export type { TokenStorage } from "./auth/token-storage.js";
export { memoryStorage } from "./auth/token-storage.js";
export type { UsersApi } from "./auth/users-api.js";
export type { AuthApi } from "./auth.js";
export type {
  ClientCore,
  ClientOptions,
  Credentials,
  FlarebaseClient,
  TokenSource,
  WebSocketConstructor,
} from "./client.js";
export { createClient } from "./client.js";
export type { AggregateQuery, Collection, CreateOptions, DeleteOptions, WriteOptions } from "./collection.js";
export { writeBatch } from "./collection-batch.js";
export { arrayAppend, arrayRemove, deleteField, increment, serverTimestamp } from "./collection-operators.js";
export type { Filter, FilterObject, FilterScalar, ListQuery } from "./collection-query.js";
export type { CollectionsApi } from "./collections.js";
export type { EndpointCallInit } from "./endpoints/call.js";
export type { EndpointApi } from "./endpoints/endpoint.js";
export { endpoint } from "./endpoints/endpoint.js";
export type { EndpointsApi } from "./endpoints/endpoints-api.js";
export type { PollPredicate, PollUntilOptions } from "./endpoints/poll-until.js";
export type {
  ClientErrorCode,
  FlarebaseErrorCode,
  FlarebaseErrorInit,
  RealtimeClientErrorCode,
  RealtimeErrorCode,
  ServerErrorCode,
} from "./errors.js";
export { FlarebaseError } from "./errors.js";
export type { CallOptions, FetchLike, HttpMethod, QueryValue, RequestOptions } from "./http.js";
export type { CollectionWatching, LiveQueryOptions } from "./live-query.js";
export { LiveQuery } from "./live-query.js";
export * from "./realtime/index.js";
export type { PageMetaApi } from "./sites/page-meta.js";
export { pageMeta } from "./sites/page-meta.js";
export type { AdminSitesApi, SitesApi } from "./sites/sites-api.js";
export { sites } from "./sites/sites-api.js";
export type { DownloadOptions, ListFilesQuery, StorageBucket, UploadOptions } from "./storage/bucket.js";
export type { AdminStorageApi, BucketSettingsInput, BucketsApi } from "./storage/buckets-api.js";
export type { StorageApi } from "./storage/storage.js";
export { storage } from "./storage/storage.js";
export type { UploadBody, UploadProgress } from "./storage/upload-body.js";
export type * from "./types.js";

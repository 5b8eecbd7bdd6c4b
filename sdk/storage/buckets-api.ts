import type { BucketRecord, BucketRules, StorageUsage } from "../../core/files/wire.js";
import { type CallOptions, path, request, type Transport } from "../http.js";
import type { Page } from "../types.js";

/** A bucket's settings as `createBucket` and `updateBucket` take them (all optional). */
export interface BucketSettingsInput {
  /** Readable by anyone without a key. Default false. */
  public?: boolean;
  /** Largest file in bytes, or null for the platform's limit. */
  max_file_bytes?: number | null;
  /** Media types (`image/png`) or families (`image/*`), or null for any. */
  allowed_content_types?: string[] | null;
  /** `Cache-Control` of downloads, or null for the default. */
  cache_control?: string | null;
  /** Rules over `file` and `auth`; sending `rules` replaces all of them. */
  rules?: BucketRules;
}

/** Managing one project's buckets: with a secret key (`storage(client)`) or the admin client. */
export interface BucketsApi {
  /** The project's buckets, by name. */
  list(options?: CallOptions): Promise<Page<BucketRecord>>;
  /** @throws {FlarebaseError} `conflict` when the name is taken, `invalid_filter` for a bad rule. */
  create(name: string, settings?: BucketSettingsInput, options?: CallOptions): Promise<BucketRecord>;
  /** @throws {FlarebaseError} `not_found`. */
  get(name: string, options?: CallOptions): Promise<BucketRecord>;
  /** Changes the settings given; the others stay. */
  update(name: string, settings: BucketSettingsInput, options?: CallOptions): Promise<BucketRecord>;
  /** Deletes an empty bucket; with `force`, its files too. @throws {FlarebaseError} `conflict` when not empty. */
  delete(name: string, options?: CallOptions & { force?: boolean }): Promise<{ name: string; deleted: true }>;
}

/** The bucket endpoints under `base` (`/v1/storage/buckets` or an admin project's `…/buckets`). */
export function createBucketsApi(transport: Transport, base: string): BucketsApi {
  const one = (name: string) => `${base}${path`/${name}`}`;
  return {
    list: (options) => request(transport, "GET", base, options),
    create: (name, settings = {}, options) =>
      request(transport, "POST", base, { ...options, body: { name, ...settings } }),
    get: (name, options) => request(transport, "GET", one(name), options),
    update: (name, settings, options) => request(transport, "PATCH", one(name), { ...options, body: settings }),
    delete: (name, options = {}) =>
      request(transport, "DELETE", one(name), { ...options, query: { force: options.force ? "true" : undefined } }),
  };
}

/** A project's storage usage and quota, for the admin client. */
export interface AdminStorageApi {
  /** Bytes and files stored, and the quota. */
  usage(projectId: string, options?: CallOptions): Promise<StorageUsage>;
  /** Sets the project's quota in bytes (null: none). */
  setQuota(projectId: string, quotaBytes: number | null, options?: CallOptions): Promise<StorageUsage>;
  /** One project's buckets. */
  buckets(projectId: string): BucketsApi;
}

/** Builds the admin client's `storage`. */
export function createAdminStorageApi(transport: Transport): AdminStorageApi {
  const project = (id: string) => path`/v1/admin/projects/${id}`;
  return {
    usage: (id, options) => request(transport, "GET", `${project(id)}/storage`, options),
    setQuota: (id, quota_bytes, options) =>
      request(transport, "PUT", `${project(id)}/storage`, { ...options, body: { quota_bytes } }),
    buckets: (id) => createBucketsApi(transport, `${project(id)}/buckets`),
  };
}

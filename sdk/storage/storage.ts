import type { StorageUsage } from "../../core/files/wire.js";
import { type ClientCore, clientFeature, type FlarebaseClient } from "../client.js";
import { type CallOptions, request } from "../http.js";
import { StorageBucket } from "./bucket.js";
import { type BucketsApi, createBucketsApi } from "./buckets-api.js";

/** A project's files, bucket by bucket: what {@link storage} returns. */
export interface StorageApi {
  /** One bucket's files. */
  bucket(name: string): StorageBucket;
  /** Managing buckets (secret key): list, create, get, update, delete. */
  readonly buckets: BucketsApi;
  /** Bytes and files stored, and the quota (secret key). */
  usage(options?: CallOptions): Promise<StorageUsage>;
}

function createStorageApi(core: ClientCore): StorageApi {
  return {
    bucket: (name) => new StorageBucket(core, name),
    buckets: createBucketsApi(core, "/v1/storage/buckets"),
    usage: (options) => request(core, "GET", "/v1/storage/usage", options),
  };
}

/**
 * File storage for `client`, opt-in: an app that never imports `storage` ships none of its bytes.
 * Returns the same object for the same client, so call it where needed or keep the result.
 *
 * @example
 * import { createClient, storage } from "flarebase";
 * const client = createClient({ url, key: "pk_…" });
 * const avatars = storage(client).bucket("avatars");
 * await avatars.upload(`users/${userId}/avatar.png`, file);
 *
 * @throws {TypeError} when `client` was not made by `createClient`.
 */
export function storage(client: FlarebaseClient): StorageApi {
  return clientFeature(client, createStorageApi);
}

import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { storageBucketRoutes, storageUsageRoutes } from "./storage-buckets";
import { storageObjectRoutes } from "./storage-objects";

/** Headers browsers may send to the storage routes (CORS), beyond the API's usual ones. */
export const STORAGE_REQUEST_HEADERS = [
  "X-Flarebase-Metadata",
  "If-None-Match",
  "If-Modified-Since",
  "If-Range",
  "Range",
];
/** Headers of downloads a browser script may read (CORS). */
export const STORAGE_RESPONSE_HEADERS = [
  "Content-Length",
  "Content-Range",
  "Content-Disposition",
  "Accept-Ranges",
  "Last-Modified",
];

/**
 * `/v1/storage`: buckets (secret key), usage, and files. Resumable uploads
 * (`/v1/storage/buckets/:bucket/uploads…`) are mounted on their own (storage-uploads.ts).
 */
export const storageRoutes = new Hono<AppEnv>()
  .route("/usage", storageUsageRoutes)
  .route("/buckets", storageBucketRoutes)
  .route("/buckets", storageObjectRoutes);

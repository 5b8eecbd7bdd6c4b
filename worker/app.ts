import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { ApiError } from "../core/errors";
import { MAX_JSON_BYTES } from "../core/json-limits";
import { TUS_REQUEST_HEADERS, TUS_RESPONSE_HEADERS } from "../core/protocol/tus";
import type { AppEnv } from "./app-env";
import { onError, onNotFound } from "./error-handler";
import type { AppRoute } from "./openapi/document";
import { someProjectAllowsOrigin } from "./projects/project-store";
import { accountRoutes } from "./routes/accounts";
import { accountSelfRoutes } from "./routes/accounts-me";
import { accountsOidcRoutes } from "./routes/accounts-oidc";
import { adminOidcProviderRoutes } from "./routes/accounts-oidc-providers";
import { accountRecoveryRoutes } from "./routes/accounts-recovery";
import { accountSettingsRoutes } from "./routes/accounts-settings";
import { accountUserRoutes, adminAccountUserRoutes } from "./routes/accounts-users";
import { adminRoutes } from "./routes/admin";
import { authRoutes } from "./routes/auth";
import { batchRoutes } from "./routes/batch";
import { channelRoutes } from "./routes/channels";
import { adminCollectionRoutes, collectionSettingsRoutes } from "./routes/collections-admin";
import { documentRoutes } from "./routes/documents";
import { adminEndpointRoutes, endpointManagementRoutes } from "./routes/endpoints";
import { healthRoutes } from "./routes/health";
import { openApiRoutes } from "./routes/openapi";
import { adminPageMetaRoutes, sitePageMetaRoutes } from "./routes/page-meta";
import { markProxyAnswers, PROXY_ERROR_HEADER, proxyRoutes } from "./routes/proxy";
import { realtimeRoutes } from "./routes/realtime";
import { roomRoutes } from "./routes/rooms";
import { adminSiteRoutes, siteRoutes } from "./routes/sites";
import { adminSiteHostnameRoutes } from "./routes/sites-hostnames";
import { adminSiteReleaseRoutes, siteReleaseRoutes } from "./routes/sites-releases";
import { STORAGE_REQUEST_HEADERS, STORAGE_RESPONSE_HEADERS, storageRoutes } from "./routes/storage";
import { adminStorageRoutes } from "./routes/storage-buckets";
import { storageUploadRoutes, tusDiscovery } from "./routes/storage-uploads";
import { tunnelRoutes } from "./routes/tunnels";

/** Largest JSON body the API reads (the one size limit of JSON values). Bigger bodies get 413 before they are read. */
const MAX_BODY_BYTES = MAX_JSON_BYTES;
/** Routes that stream their bodies (to R2) and enforce their own limits, so MAX_BODY_BYTES is not theirs. */
const STREAMED_BODY_PATHS = [
  /^\/v1\/storage\/buckets\/[^/]+\/(uploads|objects)(\/|$)/,
  // The endpoint proxy streams bodies through and holds them to each endpoint's own limit.
  /^\/v1\/proxy\//,
  // Site deploys: blob uploads stream to R2; manifests have their own, larger limit.
  /^\/v1\/(admin\/projects\/[^/]+\/)?sites\/[^/]+\/(diff$|releases$|releases\/[^/]+\/blobs\/)/,
];

const jsonBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError("payload_too_large", `The request body is larger than ${MAX_BODY_BYTES} bytes.`, {
      max_bytes: MAX_BODY_BYTES,
    });
  },
});

/**
 * The Hono app: middleware, then one sub-app per resource (worker/routes/), each route declared
 * with `route()` (worker/openapi/route.ts). Apart from worker/index.ts (the entry module, which
 * may export only handlers and classes) so tests can read `app.routes`.
 */
export const app = new Hono<AppEnv>()
  .use(requestId())
  .use("/v1/storage/buckets/:bucket/uploads", tusDiscovery)
  // Each project's allowed_origins is enforced when the request is authenticated (403
  // origin_not_allowed, without Access-Control-Allow-Origin), where the project is known. A
  // preflight carries no credentials, so it is answered for an origin that at least one project
  // of this deployment allows, and for no other.
  .use(
    cors({
      origin: async (origin, c) => {
        if (!origin) return "*";
        if (c.req.method !== "OPTIONS") return origin;
        return (await someProjectAllowsOrigin(c.env.DB, origin)) ? origin : null;
      },
      allowHeaders: [
        "Authorization",
        "X-API-Key",
        "Content-Type",
        "If-Match",
        "X-Request-Id",
        ...TUS_REQUEST_HEADERS,
        ...STORAGE_REQUEST_HEADERS,
      ],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: [
        "X-Request-Id",
        "ETag",
        "Retry-After",
        PROXY_ERROR_HEADER,
        ...TUS_RESPONSE_HEADERS,
        ...STORAGE_RESPONSE_HEADERS,
      ],
      maxAge: 600,
    }),
  )
  .use("/v1/*", (c, next) =>
    STREAMED_BODY_PATHS.some((path) => path.test(c.req.path)) ? next() : jsonBodyLimit(c, next),
  )
  .route("/health", healthRoutes)
  // The document describes the whole app, this route included; it is built on first request.
  .route(
    "/openapi.json",
    openApiRoutes((): readonly AppRoute[] => app.routes),
  )
  .route("/v1/admin", adminRoutes)
  .route("/v1/admin", adminCollectionRoutes)
  .route("/v1/auth", authRoutes)
  .route("/v1/auth", accountsOidcRoutes)
  .route("/v1/admin", adminOidcProviderRoutes)
  .route("/v1/auth", accountRoutes)
  .route("/v1/auth", accountSelfRoutes)
  .route("/v1/auth", accountRecoveryRoutes)
  .route("/v1/auth", accountSettingsRoutes)
  .route("/v1/auth/users", accountUserRoutes)
  .route("/v1/admin", adminAccountUserRoutes)
  .route("/v1/collections", documentRoutes)
  .route("/v1/collections", collectionSettingsRoutes)
  .route("/v1", batchRoutes)
  .route("/v1/channels", channelRoutes)
  .route("/v1/realtime", realtimeRoutes)
  .route("/v1/rooms", roomRoutes)
  .route("/v1/storage", storageRoutes)
  .route("/v1/admin", adminStorageRoutes)
  .route("/v1/storage/buckets", storageUploadRoutes)
  .route("/v1/endpoints", endpointManagementRoutes)
  .use("/v1/proxy/*", markProxyAnswers)
  .route("/v1/proxy", proxyRoutes)
  .route("/v1/admin", adminEndpointRoutes)
  .route("/v1/sites", siteRoutes)
  .route("/v1/sites", siteReleaseRoutes)
  .route("/v1/admin", adminSiteRoutes)
  .route("/v1/sites", sitePageMetaRoutes)
  .route("/v1/admin", adminPageMetaRoutes)
  .route("/v1/tunnels", tunnelRoutes)
  .route("/v1/admin", adminSiteReleaseRoutes)
  .route("/v1/admin", adminSiteHostnameRoutes)
  .notFound(onNotFound)
  .onError(onError);

export type App = typeof app;

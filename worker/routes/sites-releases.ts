import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { ApiError } from "../../core/errors";
import { MAX_MANIFEST_BYTES } from "../../core/sites/names";
import {
  CreatedReleaseSchema,
  ManifestBody,
  ReleaseDiffSchema,
  ReleaseFilesSchema,
  ReleasePageSchema,
  ReleaseRecordSchema,
  RollbackBody,
  Sha256,
  SiteName,
  UploadedBlobSchema,
} from "../../core/sites/wire-schemas";
import { collectUnusedBlobs } from "../../data/sites/blobs";
import {
  activateRelease,
  createRelease,
  listReleases,
  previousRelease,
  releaseFiles,
  requireRelease,
} from "../../data/sites/releases";
import { requireSite } from "../../data/sites/sites";
import type { AppEnv } from "../app-env";
import { route } from "../openapi/route";
import { diffManifest } from "../sites/diff";
import { checkManifest } from "../sites/manifest";
import { uploadBlob } from "../sites/upload-blob";
import { ADMIN_MOUNT, mountParams, SECRET_KEY_MOUNT, type SiteMount } from "./sites-mount";

const ReleaseId = z.string().min(1).max(64);

/** Manifests are bigger than the API's 1 MiB JSON limit: 20,000 files fit in this one. */
const manifestBodyLimit = bodyLimit({
  maxSize: MAX_MANIFEST_BYTES,
  onError: () => {
    throw new ApiError("payload_too_large", `The manifest is larger than ${MAX_MANIFEST_BYTES} bytes.`, {
      max_bytes: MAX_MANIFEST_BYTES,
    });
  },
});

/**
 * A deploy, in the order a client makes the calls: `POST …/releases` (the manifest; answers the
 * hashes the project lacks), `PUT …/releases/:release/blobs/:hash` for each of those, then
 * `POST …/releases/:release/activate`. Written once, mounted for the secret key and the operator.
 */
function releaseRoutes(mount: SiteMount) {
  const { auth, project } = mount;
  const checks = mount.checks;
  const siteParams = mountParams(mount, { site: SiteName });
  const releaseParams = mountParams(mount, { site: SiteName, release: ReleaseId });
  const blobParams = mountParams(mount, { site: SiteName, release: ReleaseId, hash: Sha256 });
  const param = (c: { req: { param(name: string): string | undefined } }, name: string) => c.req.param(name) as string;
  return new Hono<AppEnv>()
    .post(
      "/:site/diff",
      route({
        summary: "Compare a manifest with the active release",
        description:
          "What a deploy of this manifest would add, change and remove, and which bytes it would upload. Changes nothing (`flarebase deploy --dry-run`).",
        auth,
        checks: [...checks, manifestBodyLimit],
        params: siteParams,
        body: ManifestBody,
        responses: { 200: { description: "The difference.", body: ReleaseDiffSchema } },
        errors: ["not_found", "invalid_path", "payload_too_large"],
      }),
      async (c) => {
        const projectId = project(c);
        const files = checkManifest(c.req.valid("json").files);
        return c.json(await diffManifest(c.env.DB, projectId, param(c, "site"), files));
      },
    )
    .post(
      "/:site/releases",
      route({
        summary: "Create a release from a manifest",
        description:
          "The manifest lists every file of the built app (path, SHA-256, size, content type). The answer names the hashes the project does not hold yet: upload each once, then activate. Until then the site serves its previous release. Pending releases never activated are deleted after a day.",
        auth,
        checks: [...checks, manifestBodyLimit],
        params: siteParams,
        body: ManifestBody,
        responses: { 201: { description: "The pending release and what to upload.", body: CreatedReleaseSchema } },
        errors: ["not_found", "invalid_path", "payload_too_large"],
      }),
      async (c) => {
        const projectId = project(c);
        const site = param(c, "site");
        const files = checkManifest(c.req.valid("json").files);
        await requireSite(c.env.DB, projectId, site);
        return c.json(await createRelease(c.env.DB, projectId, site, files), 201);
      },
    )
    .get(
      "/:site/releases",
      route({
        summary: "List a site's releases",
        description: "Newest first: the pending ones, the active one and those kept for rollback.",
        auth,
        checks,
        params: siteParams,
        responses: { 200: { description: "The releases.", body: ReleasePageSchema } },
        errors: ["not_found"],
      }),
      async (c) => c.json({ items: await listReleases(c.env.DB, project(c), param(c, "site")), next_cursor: null }),
    )
    .get(
      "/:site/releases/:release",
      route({
        summary: "Get a release",
        auth,
        checks,
        params: releaseParams,
        responses: { 200: { description: "The release.", body: ReleaseRecordSchema } },
        errors: ["not_found"],
      }),
      async (c) => c.json(await requireRelease(c.env.DB, project(c), param(c, "site"), param(c, "release"))),
    )
    .get(
      "/:site/releases/:release/files",
      route({
        summary: "List a release's files",
        description: "Its whole manifest, by path.",
        auth,
        checks,
        params: releaseParams,
        responses: { 200: { description: "The manifest.", body: ReleaseFilesSchema } },
        errors: ["not_found"],
      }),
      async (c) => {
        const release = await requireRelease(c.env.DB, project(c), param(c, "site"), param(c, "release"));
        return c.json({ items: await releaseFiles(c.env.DB, release.id), next_cursor: null });
      },
    )
    .put(
      "/:site/releases/:release/blobs/:hash",
      route({
        summary: "Upload one file of a release, by its hash",
        description:
          "The raw bytes, with `Content-Length` (the manifest's size for this hash). They are checked against the SHA-256 while they stream to R2. A hash the project holds already answers 200 without reading the body; stored once per project, it serves every release and site that names it.",
        auth,
        checks,
        params: blobParams,
        responses: {
          200: { description: "The project held it already.", body: UploadedBlobSchema },
          201: { description: "Stored.", body: UploadedBlobSchema },
        },
        errors: ["not_found", { code: "invalid_request", status: 411 }],
      }),
      async (c) => {
        const projectId = project(c);
        const release = await requireRelease(c.env.DB, projectId, param(c, "site"), param(c, "release"));
        const { blob, created } = await uploadBlob(c, projectId, release.id, param(c, "hash"));
        return c.json(blob, created ? 201 : 200);
      },
    )
    .post(
      "/:site/releases/:release/activate",
      route({
        summary: "Activate a release",
        description:
          "The site serves it from the next request on, all at once. Also rolls back to any kept release. Activated releases beyond `keep_releases` are deleted, and the files no release names any more after the answer.",
        auth,
        checks,
        params: releaseParams,
        responses: { 200: { description: "The release, now active.", body: ReleaseRecordSchema } },
        errors: ["not_found", "release_incomplete"],
      }),
      async (c) => {
        const projectId = project(c);
        const { release, pruned } = await activateRelease(c.env.DB, projectId, param(c, "site"), param(c, "release"));
        if (pruned > 0) c.executionCtx.waitUntil(collectUnusedBlobs(c.env.DB, c.env.BUCKET, projectId));
        return c.json(release);
      },
    )
    .post(
      "/:site/rollback",
      route({
        summary: "Roll back to an earlier release",
        description:
          "Activates `release_id`, or without it the release that was active before the current one. One call, atomic like an activation.",
        auth,
        checks,
        params: siteParams,
        body: RollbackBody,
        responses: { 200: { description: "The release, now active.", body: ReleaseRecordSchema } },
        errors: ["not_found", "release_incomplete"],
      }),
      async (c) => {
        const projectId = project(c);
        const site = param(c, "site");
        const target = c.req.valid("json").release_id ?? (await previousRelease(c.env.DB, projectId, site));
        const { release, pruned } = await activateRelease(c.env.DB, projectId, site, target);
        if (pruned > 0) c.executionCtx.waitUntil(collectUnusedBlobs(c.env.DB, c.env.BUCKET, projectId));
        return c.json(release);
      },
    );
}

/** `/v1/sites/:site/…` deploys with a secret key. */
export const siteReleaseRoutes = releaseRoutes(SECRET_KEY_MOUNT);

/** `/v1/admin/projects/:projectId/sites/:site/…` deploys with the admin token. */
export const adminSiteReleaseRoutes = new Hono<AppEnv>().route(
  "/projects/:projectId/sites",
  releaseRoutes(ADMIN_MOUNT),
);

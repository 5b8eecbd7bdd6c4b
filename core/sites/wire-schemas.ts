/**
 * The sites API as zod schemas: request bodies and responses, for the routes, the OpenAPI
 * document and the tests. Each response schema `satisfies` its plain type in ./wire.ts, so the two
 * cannot drift apart; the SDK imports only those types (zod stays out of the browser bundle).
 */
import { z } from "zod";
import { MAX_RELEASE_FILES, MAX_SITE_FILE_BYTES, SHA256_HEX, SITE_NAME } from "./names.js";
import type { CreatedRelease, ManifestEntry, ReleaseDiff, ReleaseRecord, SiteRecord, UploadedBlob } from "./wire.js";

const IsoTime = z.string().meta({ description: "ISO-8601 UTC" });

export const SiteName = z
  .string()
  .regex(SITE_NAME, "1-40 lowercase letters, digits or single hyphens, starting and ending with a letter or digit");

export const Sha256 = z.string().regex(SHA256_HEX, "a lowercase hex SHA-256 (64 characters)");

/** A path of the release (`/404.html`); checked further by `checkSitePath`. */
const SitePathText = z.string().min(2).max(901).startsWith("/");

const MediaType = z
  .string()
  .max(200)
  .regex(
    /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;\s*[\x20-\x7e]+)?$/i,
    "a media type such as text/html; charset=utf-8",
  );

const SettingsFields = {
  spa: z.boolean(),
  not_found_page: SitePathText.nullable(),
  clean_urls: z.boolean(),
  keep_releases: z.number().int().min(1).max(100),
};

/** `POST /v1/sites` body. */
export const CreateSiteBody = z.strictObject({
  name: SiteName,
  spa: SettingsFields.spa.optional(),
  not_found_page: SettingsFields.not_found_page.optional(),
  clean_urls: SettingsFields.clean_urls.optional(),
  keep_releases: SettingsFields.keep_releases.optional(),
});

/** `PATCH /v1/sites/:site` body: the fields to change. */
export const UpdateSiteBody = z.strictObject({
  spa: SettingsFields.spa.optional(),
  not_found_page: SettingsFields.not_found_page.optional(),
  clean_urls: SettingsFields.clean_urls.optional(),
  keep_releases: SettingsFields.keep_releases.optional(),
});

export const ManifestEntrySchema = z.strictObject({
  path: SitePathText,
  hash: Sha256,
  size: z.number().int().min(0).max(MAX_SITE_FILE_BYTES),
  content_type: MediaType,
}) satisfies z.ZodType<ManifestEntry>;

/** `POST /v1/sites/:site/releases` and `POST /v1/sites/:site/diff` body. */
export const ManifestBody = z.strictObject({
  files: z.array(ManifestEntrySchema).min(1).max(MAX_RELEASE_FILES),
});

/** `POST /v1/sites/:site/rollback` body: the release to go back to (default: the one before the active one). */
export const RollbackBody = z.strictObject({ release_id: z.string().min(1).max(64).optional() });

export const SiteRecordSchema = z.object({
  name: z.string(),
  spa: z.boolean(),
  not_found_page: z.string().nullable(),
  clean_urls: z.boolean(),
  keep_releases: z.number().int(),
  active_release_id: z.string().nullable(),
  hostnames: z.array(z.string()),
  url: z.string().nullable(),
  created_at: IsoTime,
  updated_at: IsoTime,
}) satisfies z.ZodType<SiteRecord>;

export const SitePageSchema = z.object({ items: z.array(SiteRecordSchema), next_cursor: z.null() });

export const DeletedSiteSchema = z.object({ name: z.string(), deleted: z.literal(true) });

export const ReleaseRecordSchema = z.object({
  id: z.string(),
  site: z.string(),
  status: z.enum(["pending", "active", "inactive"]),
  file_count: z.number().int(),
  total_bytes: z.number().int(),
  created_at: IsoTime,
  activated_at: IsoTime.nullable(),
}) satisfies z.ZodType<ReleaseRecord>;

export const ReleasePageSchema = z.object({ items: z.array(ReleaseRecordSchema), next_cursor: z.null() });

export const CreatedReleaseSchema = z.object({
  release: ReleaseRecordSchema,
  missing: z.array(z.string()),
  missing_bytes: z.number().int(),
}) satisfies z.ZodType<CreatedRelease>;

export const ReleaseDiffSchema = z.object({
  base_release_id: z.string().nullable(),
  added: z.array(z.string()),
  changed: z.array(z.string()),
  removed: z.array(z.string()),
  unchanged: z.number().int(),
  missing: z.array(z.string()),
  missing_bytes: z.number().int(),
}) satisfies z.ZodType<ReleaseDiff>;

export const ReleaseFilesSchema = z.object({ items: z.array(ManifestEntrySchema), next_cursor: z.null() });

export const UploadedBlobSchema = z.object({
  hash: z.string(),
  size: z.number().int(),
  created: z.boolean(),
}) satisfies z.ZodType<UploadedBlob>;

export const HostnameSchema = z.object({ hostname: z.string(), site: z.string() });

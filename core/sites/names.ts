/**
 * Names of the sites API, checked in one place (browser-safe: the SDK and the CLI check before
 * they send).
 */
import { checkFilePath, type PathCheck } from "../files/path.js";

/**
 * Site names: 1 to 40 lowercase letters, digits and single hyphens, starting and ending with a
 * letter or digit. No `--`, so the default address `<site>--<project>.localhost` splits back into
 * its two parts, and short enough that the whole label stays within DNS's 63 characters.
 */
export const SITE_NAME = /^(?!.*--)[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** Project ids as the admin API makes them (`p` and 15 base-36 characters). */
export const PROJECT_ID = /^p[0-9a-z]{15}$/;

/** A blob's name: the lowercase hex SHA-256 of its bytes. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Release ids as the server makes them. */
export const RELEASE_ID = /^r[0-9a-z]{15}$/;

/**
 * Hostnames a site can be reached under: lowercase DNS names of two labels or more, without port
 * or trailing dot, at most 253 characters.
 */
export const HOSTNAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Most files one release may hold (Workers static assets allow 20,000 on the free plan). */
export const MAX_RELEASE_FILES = 20_000;

/** Largest file of a site, in bytes (the same per-file limit as Workers static assets). */
export const MAX_SITE_FILE_BYTES = 25 * 1024 * 1024;

/** Largest manifest body `POST …/releases` reads (20,000 entries with long paths fit). */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

/**
 * The path of a file in a release: `/` and a file path as `checkFilePath` accepts it
 * (`/assets/app.3f9a.js`), NFC-normalized.
 */
export function checkSitePath(raw: string): PathCheck {
  if (!raw.startsWith("/")) {
    return { ok: false, reason: "absolute", message: "Site paths start with /, e.g. /index.html." };
  }
  const check = checkFilePath(raw.slice(1));
  return check.ok ? { ok: true, path: `/${check.path}` } : check;
}

/** The default address label of a site: `<site>--<project>` (see docs/sites.md#addresses). */
export function siteLabel(site: string, projectId: string): string {
  return `${site}--${projectId}`;
}

/** How long browsers and CDNs may keep what a site serves. */

/** A file whose name carries its content hash never changes under that name. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** HTML (and 404s) are revalidated on every load, so a deploy shows at once. */
export const REVALIDATE_HTML = "no-cache";
/** Other files without a hash in the name: cacheable, revalidated by ETag (a cheap 304). */
export const REVALIDATE = "public, max-age=0, must-revalidate";

/**
 * A build tool's fingerprint in a file name: a `.` or `-` separated part of 8 to 64 letters and
 * digits holding at least two of each (`app.3f9a1b2c.js`, `index-B2k9sPq1.css`,
 * `main.0c5b8e1f9d7a.chunk.js`). Words (`bootstrap.min.js`) and versions (`jquery-3.7.1.js`) are
 * not fingerprints. A hash without two digits (a few of Vite's) is treated as a plain name: it
 * gets revalidated, never wrongly cached for a year.
 */
export function isFingerprinted(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const parts = name.split(/[.-]/).slice(0, -1);
  return parts.some(
    (part) =>
      /^[A-Za-z0-9_]{8,64}$/.test(part) &&
      (part.match(/[0-9]/g)?.length ?? 0) >= 2 &&
      (part.match(/[A-Za-z]/g)?.length ?? 0) >= 2,
  );
}

export const isHtml = (contentType: string) => /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType);

/** Types worth compressing on the way out (text, and text-like binaries). */
export const isCompressible = (contentType: string) =>
  /^\s*(text\/|application\/(javascript|json|manifest\+json|xml|wasm)|image\/svg\+xml|[a-z]+\/[a-z0-9.+-]*\+(json|xml))/i.test(
    contentType,
  );

export function cacheControlFor(path: string, contentType: string): string {
  if (isHtml(contentType)) return REVALIDATE_HTML;
  return isFingerprinted(path) ? IMMUTABLE : REVALIDATE;
}

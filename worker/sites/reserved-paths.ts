/**
 * Paths that are the API's on every host, a site's hostname included: a site never shadows them
 * (its own files there are not served). The Worker's routes live under these, and the static
 * assets of `public/` (the SDK at /sdk.js, the demo page) are served before the Worker runs.
 * test/worker/sites-serving.test.ts checks every route of the app against this list.
 */
export const API_PATHS = ["/health", "/openapi.json", "/sdk.js", "/sdk.js.map", "/__round-trips"] as const;
/** Folders that are wholly the API's (the folder itself included). */
export const API_FOLDERS = ["/v1", "/health", "/demo"] as const;

export function isApiPath(pathname: string): boolean {
  return (
    (API_PATHS as readonly string[]).includes(pathname) ||
    API_FOLDERS.some((folder) => pathname === folder || pathname.startsWith(`${folder}/`))
  );
}

import type { ServedFile } from "../../data/sites/serving";

/** A site's settings that decide what a path serves. */
export interface ResolveSettings {
  spa: boolean;
  cleanUrls: boolean;
  notFoundPage: string | null;
}

/** What a request path serves. */
export type Resolution =
  /** A file of the release (`path` is its manifest path). */
  | { kind: "file"; path: string; file: ServedFile }
  /** The SPA's `/index.html` for a navigation to a path the release lacks. */
  | { kind: "spa"; path: string; file: ServedFile }
  /** The canonical form of the path (a folder's slash, a clean URL). */
  | { kind: "redirect"; location: string }
  /** Nothing: the 404 page if the release has one. */
  | { kind: "not_found"; page: { path: string; file: ServedFile } | null };

const DEFAULT_NOT_FOUND_PAGE = "/404.html";

/** The last segment has a dot: `/assets/app.js`, `/robots.txt` (never an SPA route). */
export const hasExtension = (path: string) => path.slice(path.lastIndexOf("/") + 1).includes(".");

/**
 * Maps a decoded request path to what the release serves, in this order: the file itself (a
 * folder's `index.html` for a path ending in `/`); with clean URLs, `/about` → `about.html` and
 * `/about.html` → redirect to `/about`; a folder without its slash → redirect to it; for a page
 * navigation to a path without an extension, the SPA's `/index.html`; else not found. Pure: the
 * tests call it directly.
 */
export function resolvePath(
  path: string,
  manifest: ReadonlyMap<string, ServedFile>,
  settings: ResolveSettings,
  navigation: boolean,
): Resolution {
  const found = (at: string): Resolution | null => {
    const file = manifest.get(at);
    return file ? { kind: "file", path: at, file } : null;
  };
  if (path.endsWith("/")) {
    const index = found(`${path}index.html`);
    if (index) return index;
  } else {
    const exact = found(path);
    if (exact) {
      if (settings.cleanUrls && path.endsWith(".html")) {
        return { kind: "redirect", location: path.endsWith("/index.html") ? path.slice(0, -10) : path.slice(0, -5) };
      }
      return exact;
    }
    if (settings.cleanUrls) {
      const page = found(`${path}.html`);
      if (page) return page;
    }
    if (manifest.has(`${path}/index.html`)) return { kind: "redirect", location: `${path}/` };
  }
  if (settings.spa && navigation && !hasExtension(path)) {
    const index = manifest.get("/index.html");
    if (index) return { kind: "spa", path: "/index.html", file: index };
  }
  const pagePath = settings.notFoundPage ?? DEFAULT_NOT_FOUND_PAGE;
  const page = manifest.get(pagePath);
  return { kind: "not_found", page: page ? { path: pagePath, file: page } : null };
}

/** A page navigation, as browsers mark one (`Sec-Fetch-Mode: navigate`), or a request that asks for HTML. */
export function isNavigation(headers: Headers): boolean {
  return headers.get("Sec-Fetch-Mode") === "navigate" || (headers.get("Accept") ?? "").includes("text/html");
}

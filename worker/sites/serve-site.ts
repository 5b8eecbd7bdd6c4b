import { replacedReleases, type ServedFile, type ServedSite } from "../../data/sites/serving";
import { cacheControlFor, isCompressible, isHtml, REVALIDATE_HTML } from "./caching";
import { manifestOf } from "./manifest-cache";
import { applyPageMeta } from "./meta/apply-page-meta";
import { hasExtension, isNavigation, type Resolution, resolvePath } from "./resolve";

/** Replaced releases still answer for their files this long (skew protection, see docs/sites.md#releases). */
const SKEW_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How many replaced releases skew protection looks into. */
const SKEW_RELEASES = 3;
/** Below this, compressing costs more than it saves. */
const MIN_COMPRESS_BYTES = 1024;

const plain = (status: number, text: string, headers: Record<string, string> = {}) =>
  new Response(text, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": REVALIDATE_HTML, ...headers },
  });

/**
 * Answers a request for a site: resolves the path against the active release's manifest (cached:
 * it never changes), streams the bytes from R2 with caching headers, answers 304 to a current
 * `If-None-Match`, prefers a precompressed `.br`/`.gz` sibling the client accepts (else lets the
 * runtime gzip text), and hands every HTML response to page meta with the path the visitor asked
 * for. The site row was read by the caller: on a warm isolate that is the only D1 query.
 */
export async function serveSite(request: Request, env: Env, site: ServedSite): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return plain(405, "Method not allowed: a site answers GET and HEAD.", { Allow: "GET, HEAD" });
  }
  if (site.active_release_id === null) return plain(404, `Site "${site.name}" has no release yet: deploy one.`);
  const url = new URL(request.url);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname).normalize("NFC");
  } catch {
    return plain(400, "The path is not valid percent-encoded UTF-8.");
  }
  const manifest = await manifestOf(env.DB, site.active_release_id);
  const settings = { spa: site.spa === 1, cleanUrls: site.clean_urls === 1, notFoundPage: site.not_found_page };
  let resolution: Resolution = resolvePath(path, manifest, settings, isNavigation(request.headers));
  if (resolution.kind === "not_found" && hasExtension(path)) {
    resolution = (await fromReplacedRelease(env.DB, site, path)) ?? resolution;
  }

  switch (resolution.kind) {
    case "redirect":
      return new Response(null, {
        status: 308,
        headers: { Location: `${resolution.location}${url.search}`, "Cache-Control": REVALIDATE_HTML },
      });
    case "not_found":
      if (!resolution.page) return plain(404, `Not found: ${path}`);
      return serveFile(request, env, site, { ...resolution.page, requested: path, status: 404 });
    case "spa":
      return serveFile(request, env, site, { ...resolution, requested: path, status: 200 });
    case "file":
      return serveFile(request, env, site, { ...resolution, requested: path, status: 200 });
  }
}

/**
 * A file the active release lacks but a release replaced in the last day has: a page loaded just
 * before a deploy still gets the hashed assets it names.
 */
async function fromReplacedRelease(db: D1Database, site: ServedSite, path: string): Promise<Resolution | null> {
  const replaced = await replacedReleases(db, site.project_id, site.name, SKEW_RELEASES);
  for (const release of replaced) {
    if (Date.now() - Date.parse(release.replaced_at) > SKEW_WINDOW_MS) break;
    const file = (await manifestOf(db, release.id)).get(path);
    if (file) return { kind: "file", path, file };
  }
  return null;
}

interface Served {
  /** The manifest path whose bytes answer. */
  path: string;
  file: ServedFile;
  /** The path the visitor asked for (page meta's target, e.g. an SPA deep link). */
  requested: string;
  status: 200 | 404;
}

/** One precompressed sibling of a file that the client accepts, if the release has one. */
function precompressed(request: Request, manifest: ReadonlyMap<string, ServedFile> | null, path: string) {
  if (!manifest) return null;
  const accepted = request.headers.get("Accept-Encoding") ?? "";
  for (const [encoding, suffix] of [
    ["br", ".br"],
    ["gzip", ".gz"],
  ] as const) {
    if (!new RegExp(`\\b${encoding}\\b`).test(accepted)) continue;
    const file = manifest.get(`${path}${suffix}`);
    if (file) return { encoding, file };
  }
  return null;
}

async function serveFile(request: Request, env: Env, site: ServedSite, served: Served) {
  const html = isHtml(served.file.content_type);
  const headers = new Headers({
    "Content-Type": served.file.content_type,
    "Cache-Control": served.status === 404 ? REVALIDATE_HTML : cacheControlFor(served.path, served.file.content_type),
    "X-Content-Type-Options": "nosniff",
  });
  // HTML passes through page meta, which may change it without a deploy: the file's hash is not its
  // validator. Everything else is named by its SHA-256, a strong ETag.
  const variant = html
    ? null
    : precompressed(request, await manifestOf(env.DB, site.active_release_id as string), served.path);
  const file = variant?.file ?? served.file;
  if (!html) {
    headers.set("ETag", `"${file.hash}"`);
    if (served.status === 200 && etagMatches(request.headers.get("If-None-Match"), file.hash)) {
      return new Response(null, { status: 304, headers });
    }
  }
  const compressible = isCompressible(served.file.content_type);
  if (variant || compressible) headers.set("Vary", "Accept-Encoding");
  if (variant) headers.set("Content-Encoding", variant.encoding);

  const gzip =
    !variant &&
    compressible &&
    file.size >= MIN_COMPRESS_BYTES &&
    /\bgzip\b/.test(request.headers.get("Accept-Encoding") ?? "");
  if (!gzip) headers.set("Content-Length", String(file.size));
  if (request.method === "HEAD") return new Response(null, { status: served.status, headers });

  const object = file.object_key === null ? null : await env.BUCKET.get(file.object_key);
  if (!object) {
    console.error(`Site ${site.project_id}/${site.name}: the bytes of ${served.path} (${file.hash}) are missing.`);
    return plain(404, `Not found: ${served.requested}`);
  }
  let response = new Response(object.body, {
    status: served.status,
    headers,
    // A precompressed variant is sent as stored; for the rest the runtime does the encoding.
    encodeBody: variant ? "manual" : "automatic",
  });
  if (html) {
    response = await applyPageMeta(
      env,
      { projectId: site.project_id, site: site.name, path: served.requested },
      response,
    );
  }
  if (gzip) {
    // Set last, so page meta reads the page as text; the runtime compresses as it streams out.
    response = new Response(response.body, response);
    response.headers.set("Content-Encoding", "gzip");
    response.headers.delete("Content-Length");
  }
  return response;
}

function etagMatches(header: string | null, hash: string): boolean {
  if (!header) return false;
  return header.split(",").some((item) => {
    const tag = item.trim().replace(/^W\//, "");
    return tag === "*" || tag === `"${hash}"`;
  });
}

import { exports } from "cloudflare:workers";
import type { CreatedRelease, ManifestEntry, ReleaseRecord } from "../../core/sites/wire";
import { api, createProject, type TestProject } from "./helpers";

/** The secret-key header of a project. */
export const secret = (project: TestProject) => ({ "X-API-Key": project.keys.secret });

/** A project with one site (settings as given), created with the secret key. */
export async function siteProject(settings: Record<string, unknown> = {}, name = "www") {
  const project = await createProject();
  const response = await api("/v1/sites", { method: "POST", headers: secret(project), json: { name, ...settings } });
  if (response.status !== 201) throw new Error(`create site: ${response.status} ${await response.text()}`);
  return { project, site: name };
}

/** A built app in memory: path → content. */
export type SiteFiles = Record<string, string | Uint8Array>;

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  txt: "text/plain; charset=utf-8",
  png: "image/png",
  br: "application/octet-stream",
  gz: "application/octet-stream",
};

export const bytesOf = (content: string | Uint8Array) =>
  typeof content === "string" ? new TextEncoder().encode(content) : content;

export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The manifest of a set of files, as the CLI builds it. */
export async function manifestOf(files: SiteFiles): Promise<ManifestEntry[]> {
  return Promise.all(
    Object.entries(files).map(async ([path, content]) => {
      const bytes = bytesOf(content);
      const extension = path.split(".").at(-1) ?? "";
      return {
        path,
        hash: await sha256(bytes),
        size: bytes.length,
        content_type: TYPES[extension] ?? "application/octet-stream",
      };
    }),
  );
}

/** The release routes of a site with the secret key. */
export const sitePath = (site: string, rest = "") => `/v1/sites/${site}${rest}`;

/** Creates a release of `files`, answering the created release and the missing hashes. */
export async function createRelease(project: TestProject, site: string, files: SiteFiles): Promise<CreatedRelease> {
  const response = await api(sitePath(site, "/releases"), {
    method: "POST",
    headers: secret(project),
    json: { files: await manifestOf(files) },
  });
  if (response.status !== 201) throw new Error(`create release: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Uploads the bytes of one hash of a release. */
export function uploadBlob(project: TestProject, site: string, release: string, hash: string, bytes: Uint8Array) {
  return api(sitePath(site, `/releases/${release}/blobs/${hash}`), {
    method: "PUT",
    headers: { ...secret(project), "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) },
    body: bytes,
  });
}

/** Uploads every missing file of a release (answers how many). */
export async function uploadMissing(project: TestProject, site: string, created: CreatedRelease, files: SiteFiles) {
  const byHash = new Map<string, Uint8Array>();
  for (const content of Object.values(files)) byHash.set(await sha256(bytesOf(content)), bytesOf(content));
  await Promise.all(
    created.missing.map(async (hash) => {
      const response = await uploadBlob(project, site, created.release.id, hash, byHash.get(hash) as Uint8Array);
      if (response.status !== 201) throw new Error(`upload ${hash}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }),
  );
  return created.missing.length;
}

export async function activate(project: TestProject, site: string, release: string): Promise<Response> {
  return api(sitePath(site, `/releases/${release}/activate`), { method: "POST", headers: secret(project) });
}

/** A whole deploy: manifest, the missing uploads, activation. */
export async function deploy(project: TestProject, site: string, files: SiteFiles) {
  const created = await createRelease(project, site, files);
  const uploaded = await uploadMissing(project, site, created, files);
  const response = await activate(project, site, created.release.id);
  if (response.status !== 200) throw new Error(`activate: ${response.status} ${await response.text()}`);
  return { release: (await response.json()) as ReleaseRecord, uploaded, missing: created.missing };
}

/** A request to a site at its default address (`<site>--<project>.…`), as a browser would send it. */
export function visit(projectId: string, site: string, path: string, headers: Record<string, string> = {}) {
  return exports.default.fetch(`https://${site}--${projectId}.sites.test${path}`, { headers, redirect: "manual" });
}

/** What a browser sends for a page navigation. */
export const NAVIGATION = { "Sec-Fetch-Mode": "navigate", Accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
/** What a browser sends for a script. */
export const SCRIPT = { "Sec-Fetch-Mode": "no-cors", Accept: "*/*" };

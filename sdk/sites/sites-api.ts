import type {
  CreatedRelease,
  ManifestEntry,
  ReleaseDiff,
  ReleaseRecord,
  SiteRecord,
  SiteSettings,
  UploadedBlob,
} from "../../core/sites/wire.js";
import { type ClientCore, clientFeature, type FlarebaseClient } from "../client.js";
import { type CallOptions, path, request, type Transport } from "../http.js";
import type { Page } from "../types.js";

/**
 * A project's sites and their releases: what {@link sites} returns for a secret-key client, and
 * `admin.sites(projectId)` for the operator. `flarebase deploy` does a whole deploy in one
 * command; these are the steps it takes, for tools of your own.
 */
export interface SitesApi {
  /** The project's sites, by name. */
  list(options?: CallOptions): Promise<Page<SiteRecord>>;
  /**
   * Creates a site; settings left out take their defaults (SPA mode on, 10 releases kept).
   *
   * @example
   * const site = await sites(client).create("www", { clean_urls: true });
   *
   * @throws {FlarebaseError} `conflict` when the name is taken; `invalid_request` for a bad name.
   */
  create(name: string, settings?: Partial<SiteSettings>, options?: CallOptions): Promise<SiteRecord>;
  /** @throws {FlarebaseError} `not_found`. */
  get(name: string, options?: CallOptions): Promise<SiteRecord>;
  /** Changes the settings given (effective on the next request); the others stay. */
  update(name: string, settings: Partial<SiteSettings>, options?: CallOptions): Promise<SiteRecord>;
  /** Deletes a site with its releases and hostnames. */
  delete(name: string, options?: CallOptions): Promise<{ name: string; deleted: true }>;

  /** A site's releases, newest first. */
  releases(site: string, options?: CallOptions): Promise<Page<ReleaseRecord>>;
  /** One release's manifest, by path. */
  releaseFiles(site: string, releaseId: string, options?: CallOptions): Promise<Page<ManifestEntry>>;
  /** What deploying `files` would add, change, remove and upload; changes nothing. */
  diff(site: string, files: ManifestEntry[], options?: CallOptions): Promise<ReleaseDiff>;
  /**
   * Step 1 of a deploy: a pending release from a manifest, and the hashes to upload.
   *
   * @example
   * const { release, missing } = await api.createRelease("www", manifest);
   * for (const hash of missing) await api.uploadFile("www", release.id, hash, bytesOf(hash));
   * await api.activate("www", release.id);
   */
  createRelease(site: string, files: ManifestEntry[], options?: CallOptions): Promise<CreatedRelease>;
  /** Step 2: the bytes of one missing hash (checked against it by the server). */
  uploadFile(
    site: string,
    releaseId: string,
    hash: string,
    bytes: Blob | ArrayBuffer | Uint8Array,
    options?: CallOptions,
  ): Promise<UploadedBlob>;
  /**
   * Step 3: the site serves the release from the next request on. Also rolls back to any kept release.
   *
   * @throws {FlarebaseError} `release_incomplete` (409) with `details.missing` while files are missing.
   */
  activate(site: string, releaseId: string, options?: CallOptions): Promise<ReleaseRecord>;
  /** Activates `releaseId`, or the release active before the current one. */
  rollback(site: string, releaseId?: string, options?: CallOptions): Promise<ReleaseRecord>;
}

/** The operator's sites of one project: also the hostnames (custom domains) they answer. */
export interface AdminSitesApi extends SitesApi {
  /**
   * Maps a hostname routed to this Worker to the site.
   *
   * @example
   * await admin.sites(projectId).addHostname("www", "www.example.com");
   *
   * @throws {FlarebaseError} `conflict` when another site holds it.
   */
  addHostname(site: string, hostname: string, options?: CallOptions): Promise<SiteRecord>;
  removeHostname(site: string, hostname: string, options?: CallOptions): Promise<SiteRecord>;
}

/** The site endpoints under `base` (`/v1` or an admin project's `/v1/admin/projects/:id`). */
export function createSitesApi(transport: Transport, base: string): AdminSitesApi {
  const sitesPath = `${base}/sites`;
  const one = (name: string) => `${sitesPath}${path`/${name}`}`;
  const release = (site: string, id: string) => `${one(site)}${path`/releases/${id}`}`;
  return {
    list: (options) => request(transport, "GET", sitesPath, options),
    create: (name, settings = {}, options) =>
      request(transport, "POST", sitesPath, { ...options, body: { name, ...settings } }),
    get: (name, options) => request(transport, "GET", one(name), options),
    update: (name, settings, options) => request(transport, "PATCH", one(name), { ...options, body: settings }),
    delete: (name, options) => request(transport, "DELETE", one(name), options),
    releases: (site, options) => request(transport, "GET", `${one(site)}/releases`, options),
    releaseFiles: (site, id, options) => request(transport, "GET", `${release(site, id)}/files`, options),
    diff: (site, files, options) => request(transport, "POST", `${one(site)}/diff`, { ...options, body: { files } }),
    createRelease: (site, files, options) =>
      request(transport, "POST", `${one(site)}/releases`, { ...options, body: { files } }),
    uploadFile: (site, id, hash, bytes, options) =>
      request(transport, "PUT", `${release(site, id)}${path`/blobs/${hash}`}`, {
        ...options,
        body: bytes,
        headers: { "Content-Type": "application/octet-stream" },
      }),
    activate: (site, id, options) => request(transport, "POST", `${release(site, id)}/activate`, options),
    rollback: (site, releaseId, options) =>
      request(transport, "POST", `${one(site)}/rollback`, {
        ...options,
        body: releaseId === undefined ? {} : { release_id: releaseId },
      }),
    addHostname: (site, hostname, options) =>
      request(transport, "PUT", `${one(site)}${path`/hostnames/${hostname}`}`, options),
    removeHostname: (site, hostname, options) =>
      request(transport, "DELETE", `${one(site)}${path`/hostnames/${hostname}`}`, options),
  };
}

const createClientSitesApi = (core: ClientCore): SitesApi => createSitesApi(core, "/v1");

/**
 * Site management for a secret-key client, opt-in like {@link storage}.
 *
 * @example
 * import { createClient, sites } from "flarebase";
 * const server = createClient({ url, key: process.env.FLAREBASE_SECRET_KEY });
 * const { items } = await sites(server).releases("www");
 * await sites(server).rollback("www"); // back to the release before the current one
 *
 * @throws {TypeError} when `client` was not made by `createClient`.
 */
export function sites(client: FlarebaseClient): SitesApi {
  return clientFeature(client, createClientSitesApi);
}

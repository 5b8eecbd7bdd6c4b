import type { DeletedPageMeta, PageMetaInput, PageMetaPage, PageMetaRecord } from "../../core/sites/page-meta.js";
import { type ClientCore, clientFeature, type FlarebaseClient } from "../client.js";
import { type CallOptions, path, request, type Transport } from "../http.js";

/**
 * A site's page meta (SEO and link-preview tags), by path or pattern: what {@link pageMeta}
 * returns for a secret-key client, and `admin.pageMeta(projectId)` for the operator. The method
 * names are the seed's (`cb.storage.setPageMeta` there is `pageMeta(client).setPageMeta` here).
 */
export interface PageMetaApi {
  /**
   * Creates or replaces the record of `input.path`: an exact path (`/about`) or a pattern
   * (`/products/:id`, `/docs/*`). Fields left out are not set, so the page's own tags stay.
   *
   * @example
   * await meta.setPageMeta("www", { path: "/products/123", title: "Phone", og_type: "product" });
   * // every post's preview from its document, under the collection's public read rule:
   * await meta.setPageMeta("blog", {
   *   path: "/posts/:id",
   *   document: { collection: "posts", id: ":id", fields: { title: "data.title", image: "data.cover" } },
   * });
   *
   * @throws {FlarebaseError} `not_found` for an unknown site; `invalid_request` for a bad path or
   * field (`details.issues`), or a site's 101st pattern.
   */
  setPageMeta(site: string, input: PageMetaInput, options?: CallOptions): Promise<PageMetaRecord>;

  /**
   * Sets up to 100 records at once, all or none.
   *
   * @example
   * await meta.batchSetPageMeta("www", { pages: [{ path: "/a", title: "A" }, { path: "/b", title: "B" }] });
   */
  batchSetPageMeta(
    site: string,
    batch: { pages: PageMetaInput[] },
    options?: CallOptions,
  ): Promise<{ items: PageMetaRecord[] }>;

  /**
   * One page of the site's records (50 unless `limit`, at most 100); pass `next_cursor` back as
   * `cursor` for the next.
   *
   * @example
   * let page = await meta.listPageMetas("www");
   * while (page.next_cursor) page = await meta.listPageMetas("www", { cursor: page.next_cursor });
   */
  listPageMetas(
    site: string,
    query?: { limit?: number; cursor?: string },
    options?: CallOptions,
  ): Promise<PageMetaPage>;

  /**
   * The record stored for a path or pattern (`/posts/:slug` finds the one set as `/posts/:id`).
   *
   * @throws {FlarebaseError} `not_found`.
   */
  getPageMeta(site: string, pagePath: string, options?: CallOptions): Promise<PageMetaRecord>;

  /**
   * Deletes the record of a path or pattern.
   *
   * @throws {FlarebaseError} `not_found`.
   */
  deletePageMeta(site: string, pagePath: string, options?: CallOptions): Promise<DeletedPageMeta>;
}

/** The page-meta endpoints under `base` (`/v1` for a secret key, an admin project's path for the operator). */
export function createPageMetaApi(transport: Transport, base: string): PageMetaApi {
  const records = (site: string) => `${base}${path`/sites/${site}/page-meta`}`;
  return {
    setPageMeta: (site, input, options) => request(transport, "PUT", records(site), { ...options, body: input }),
    batchSetPageMeta: (site, batch, options) =>
      request(transport, "POST", `${records(site)}/batch`, { ...options, body: batch }),
    listPageMetas: (site, query = {}, options) => request(transport, "GET", records(site), { ...options, query }),
    getPageMeta: (site, pagePath, options) =>
      request(transport, "GET", `${records(site)}/entry`, { ...options, query: { path: pagePath } }),
    deletePageMeta: (site, pagePath, options) =>
      request(transport, "DELETE", `${records(site)}/entry`, { ...options, query: { path: pagePath } }),
  };
}

const createClientPageMeta = (core: ClientCore) => createPageMetaApi(core, "/v1");

/**
 * Page meta for a client with a secret key, opt-in: an app that never imports `pageMeta` ships
 * none of it. Returns the same object for the same client.
 *
 * @example
 * import { createClient, pageMeta } from "flarebase";
 * const meta = pageMeta(createClient({ url, key: process.env.FLAREBASE_SECRET_KEY }));
 * await meta.setPageMeta("www", { path: "/", title: "Home", description: "Welcome" });
 *
 * @throws {TypeError} when `client` was not made by `createClient`.
 */
export function pageMeta(client: FlarebaseClient): PageMetaApi {
  return clientFeature(client, createClientPageMeta);
}

import type { CollectionInfo } from "../core/documents/wire.js";
import type { ClientCore } from "./client.js";
import { type CallOptions, request } from "./http.js";
import type { Page } from "./types.js";

/** The project's collections as a whole (`client.collections`); one collection is `client.collection(name)`. */
export interface CollectionsApi {
  /**
   * One page of the project's collections, by name, with their document counts and latest change
   * sequence (secret key only). `limit` is 1–1000 (default 100); pass `next_cursor` as `cursor`.
   *
   * @example
   * let page = await server.collections.list({ limit: 100 });
   * while (page.next_cursor) page = await server.collections.list({ limit: 100, cursor: page.next_cursor });
   *
   * @throws {FlarebaseError} `forbidden` without a secret key, `invalid_request` for a bad limit or cursor.
   */
  list(query?: { limit?: number; cursor?: string | null }, options?: CallOptions): Promise<Page<CollectionInfo>>;
}

/** Builds `client.collections` on the client's transport. */
export function createCollectionsApi(transport: ClientCore): CollectionsApi {
  return {
    list: (query = {}, options) =>
      request(transport, "GET", "/v1/collections", {
        ...options,
        query: { limit: query.limit, cursor: query.cursor ?? undefined },
      }),
  };
}

declare module "./client.js" {
  interface FlarebaseClient {
    /** The project's collections: `list()` pages through them (secret key only). */
    readonly collections: CollectionsApi;
  }
}

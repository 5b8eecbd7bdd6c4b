import type {
  AggregateOperation,
  AggregateResult,
  BatchOperation,
  BatchResult,
  ChangePage,
  DeletedDocument,
  DocumentData,
  FieldOperators,
  StoredDocument,
} from "../core/documents/wire.js";
import type { ClientCore } from "./client.js";
import { type Filter, filterParams, type ListQuery, listParams } from "./collection-query.js";
import { type CallOptions, path, request } from "./http.js";
import { type CollectionWatching, collectionWatching } from "./live-query.js";
import type { Page } from "./types.js";

/** Options of `create`. */
export interface CreateOptions extends CallOptions {
  /** The document's id; generated (time-ordered, 20 characters) when omitted. */
  id?: string | undefined;
  operators?: FieldOperators | undefined;
}

/** Options of `update` and `replace`. */
export interface WriteOptions extends CallOptions {
  /** Field operators applied after `data` (see `increment`, `serverTimestamp`, …). */
  operators?: FieldOperators | undefined;
  /** Only write if the document is still at this version (else `conflict`, 409). */
  ifMatch?: number | undefined;
}

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  ifMatch?: number | undefined;
}

/** What `aggregate` computes. */
export interface AggregateQuery {
  operation: AggregateOperation;
  /** The field to aggregate; not needed for `count`. */
  field?: string | undefined;
  /** Up to 3 field paths to group by. */
  groupBy?: string | readonly string[] | undefined;
  filter?: Filter | undefined;
}

/**
 * One collection of JSON documents. `T` types `data`; results keep the wire's snake_case.
 * Every method throws `FlarebaseError` for an error answer: `forbidden` when a security rule
 * says no, `not_found`, `conflict` for a stale `ifMatch` or a taken id, `invalid_filter` (with
 * `details.position`) for a bad filter, `invalid_request` for a bad body or parameter.
 */
export interface Collection<T extends object = DocumentData> extends CollectionWatching<T> {
  readonly name: string;

  /**
   * One page of documents: filter, sort, page size, cursor or offset, projection, total.
   *
   * @example
   * const page = await posts.list({ filter: 'published == true && views > 10', sort: "-views", limit: 20 });
   * const next = await posts.list({ filter: { author: "ann" }, cursor: page.next_cursor });
   */
  list(query?: ListQuery, options?: CallOptions): Promise<Page<StoredDocument<T>>>;

  /**
   * Every matching document, page after page (following cursors), for `for await`.
   * `query.limit` is the page size.
   *
   * @example
   * for await (const post of posts.iterate({ filter: { author: "ann" } })) console.log(post.data.title);
   */
  iterate(query?: Omit<ListQuery, "cursor" | "offset">, options?: CallOptions): AsyncIterable<StoredDocument<T>>;

  /** One document. @throws {FlarebaseError} `not_found`, also when the read rule hides it. */
  get(id: string, options?: CallOptions): Promise<StoredDocument<T>>;

  /**
   * Creates a document.
   *
   * @example
   * const post = await posts.create({ title: "Hello", views: 0 });
   * await users.create({ name: "Ann" }, { id: "ann" });
   */
  create(data: T, options?: CreateOptions): Promise<StoredDocument<T>>;

  /**
   * Merges `data` into the document (top-level fields), then applies `operators`.
   *
   * @example
   * await posts.update(post.id, { title: "Renamed" }, { ifMatch: post.version });
   * await posts.update(post.id, {}, { operators: { views: increment(1) } });
   */
  update(id: string, data: Partial<T>, options?: WriteOptions): Promise<StoredDocument<T>>;

  /** Replaces the document's data (creating it when missing and no `ifMatch` is given). */
  replace(id: string, data: T, options?: WriteOptions): Promise<StoredDocument<T>>;

  /** Deletes a document. */
  delete(id: string, options?: DeleteOptions): Promise<DeletedDocument>;

  /**
   * Writes up to 100 operations atomically: all commit or none does.
   *
   * @example
   * await posts.batch([
   *   { op: "create", data: { title: "A" } },
   *   { op: "update", id: "p1", operators: { views: increment(1) } },
   *   { op: "delete", id: "p2" },
   * ]);
   */
  batch(operations: BatchOperation<T>[], options?: CallOptions): Promise<BatchResult<T>[]>;

  /** How many documents match (and the caller may list). */
  count(filter?: Filter, options?: CallOptions): Promise<number>;

  /**
   * count, sum, avg, min or max of a field, optionally grouped.
   *
   * @example
   * const { result } = await orders.aggregate({ operation: "sum", field: "total", filter: { status: "paid" } });
   * const { groups } = await orders.aggregate({ operation: "count", groupBy: "status" });
   */
  aggregate(query: AggregateQuery, options?: CallOptions): Promise<AggregateResult>;

  /**
   * The change feed after `since` (secret key only), oldest first. `since` is a sequence number,
   * or the previous page's `next_cursor` as it came.
   *
   * @throws {FlarebaseError} `changes_pruned` (410) when changes after `since` are gone (retention).
   */
  changes(query?: { since?: number | string; limit?: number }, options?: CallOptions): Promise<ChangePage<T>>;
}

const ifMatchHeader = (version: number | undefined) =>
  version === undefined ? undefined : { "If-Match": `"${version}"` };

/** Builds `client.collection(name)` on the client's core (requests, and sockets for watching). */
export function createCollection<T extends object = DocumentData>(transport: ClientCore, name: string): Collection<T> {
  const base = path`/v1/collections/${name}`;
  const doc = (id: string) => `${base}${path`/documents/${id}`}`;
  const collection: Collection<T> = {
    name,
    ...collectionWatching<T>(transport, name),
    // async, so that a filter the SDK refuses (a TypeError) rejects like every other error.
    list: async (query, options) =>
      request(transport, "GET", `${base}/documents`, { ...options, query: listParams(query) }),
    async *iterate(query = {}, options) {
      let cursor: string | null = null;
      do {
        const page: Page<StoredDocument<T>> = await collection.list({ ...query, cursor }, options);
        yield* page.items;
        cursor = page.next_cursor;
      } while (cursor);
    },
    get: (id, options) => request(transport, "GET", doc(id), options),
    create: (data, { id, operators, ...options } = {}) =>
      request(transport, "POST", `${base}/documents`, {
        ...options,
        // An empty id goes to the server, which refuses it, rather than quietly getting a generated one.
        body: { data, ...(id !== undefined ? { id } : {}), ...(operators ? { operators } : {}) },
      }),
    update: (id, data, { operators, ifMatch, ...options } = {}) =>
      request(transport, "PATCH", doc(id), {
        ...options,
        headers: ifMatchHeader(ifMatch),
        body: { data, ...(operators ? { operators } : {}) },
      }),
    replace: (id, data, { operators, ifMatch, ...options } = {}) =>
      request(transport, "PUT", doc(id), {
        ...options,
        headers: ifMatchHeader(ifMatch),
        body: { data, ...(operators ? { operators } : {}) },
      }),
    delete: (id, { ifMatch, ...options } = {}) =>
      request(transport, "DELETE", doc(id), { ...options, headers: ifMatchHeader(ifMatch) }),
    async batch(operations, options) {
      const body = await request<{ results: BatchResult<T>[] }>(transport, "POST", `${base}/batch`, {
        ...options,
        body: { operations },
      });
      return body.results;
    },
    async count(filter, options) {
      const body = await request<{ count: number }>(transport, "GET", `${base}/count`, {
        ...options,
        query: filterParams(filter),
      });
      return body.count;
    },
    aggregate: async (query, options) =>
      request(transport, "GET", `${base}/aggregate`, {
        ...options,
        query: {
          ...filterParams(query.filter),
          operation: query.operation,
          field: query.field,
          group_by: typeof query.groupBy === "string" ? query.groupBy : query.groupBy?.join(","),
        },
      }),
    changes: (query = {}, options) =>
      request(transport, "GET", `${base}/changes`, { ...options, query: { since: query.since, limit: query.limit } }),
  };
  return collection;
}

declare module "./client.js" {
  interface FlarebaseClient {
    /**
     * A collection of JSON documents, typed by `T` (the shape of `data`).
     *
     * @example
     * interface Post { title: string; views: number }
     * const posts = client.collection<Post>("posts");
     * const { items } = await posts.list({ filter: "views > 10", sort: "-views" });
     */
    collection<T extends object = DocumentData>(name: string): Collection<T>;
  }
}

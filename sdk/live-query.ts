import type { DocumentData } from "../core/documents/wire.js";
import type { ClientCore } from "./client.js";
import type { Filter } from "./collection-query.js";
import type { FlarebaseError } from "./errors.js";
import { compareDocuments, parseSortSpec, type SortSpec } from "./live-query-sort.js";
import { Emitter, type Listener, type Unsubscribe } from "./realtime/emitter.js";
import type { ReconnectOptions } from "./realtime/policy.js";
import {
  type CollectionEvent,
  CollectionSubscription,
  type SubscribeOptions,
  type WatchedDocument,
} from "./realtime/watcher.js";

/** Options of a live query. */
export interface LiveQueryOptions {
  /** Field paths, `-` for descending (`"-score,name"`), ties by id, as in `list`. Default: by id. */
  sort?: string | readonly string[] | undefined;
  /** Most documents the query holds at first (the snapshot limit, 1-10000; server default 1000). */
  limit?: number | undefined;
  clientId?: string | undefined;
  reconnect?: ReconnectOptions | undefined;
}

/**
 * A filtered, sorted array of documents kept current by a collection watcher: for UI code. It
 * starts from a snapshot, applies every change after it (documents entering and leaving the filter
 * included), resumes after reconnects without missing or repeating a change, and starts over from
 * a fresh snapshot by itself if changes were lost for good.
 *
 * @example
 * const open = client.collection<Task>("tasks").live({ status: "open" }, { sort: "-priority" });
 * open.onChange((items) => render(items.map((doc) => doc.data.title)));
 * await open.ready;
 * // later
 * open.close();
 */
export class LiveQuery<T extends object = DocumentData> {
  /** The underlying subscription (its `seq`, `state`, `onError`, `onStateChange`). */
  readonly subscription: CollectionSubscription<T>;
  /** Resolves once the first snapshot is in `items`. */
  readonly ready: Promise<void>;
  #documents = new Map<string, WatchedDocument<T>>();
  #items: WatchedDocument<T>[] = [];
  #sort: SortSpec;
  #changes = new Emitter<readonly WatchedDocument<T>[]>();
  #notifyQueued = false;
  #truncated = false;

  constructor(
    core: ConstructorParameters<typeof CollectionSubscription>[0],
    collection: string,
    filter: Filter | undefined,
    options: LiveQueryOptions = {},
  ) {
    this.#sort = parseSortSpec(options.sort);
    const subscribe: SubscribeOptions = {
      snapshot: true,
      snapshotLimit: options.limit,
      clientId: options.clientId,
      reconnect: options.reconnect,
    };
    this.subscription = new CollectionSubscription<T>(core, collection, filter, subscribe);
    const { promise, resolve } = promiseWithResolvers();
    this.ready = promise;
    this.subscription.on((event) => {
      this.#apply(event);
      if (event.type === "snapshot") resolve();
    });
  }

  /** The matching documents now, sorted. The array is replaced (never changed in place) on every change. */
  get items(): readonly WatchedDocument<T>[] {
    return this.#items;
  }

  /** True when more documents matched at the start than `limit`: `items` holds the first ones by id. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /**
   * Calls `listener` with the new `items` after changes (once per burst of changes). Returns a
   * function that removes it.
   */
  onChange(listener: Listener<readonly WatchedDocument<T>[]>): Unsubscribe {
    return this.#changes.on(listener);
  }

  /** Resolves once every change committed before the call is reflected in `items`. */
  async sync(): Promise<void> {
    await this.ready;
    await this.subscription.sync();
  }

  /** Stops for good. */
  close(): void {
    this.subscription.close();
    this.#changes.clear();
  }

  #apply(event: CollectionEvent<T>): void {
    if (event.type === "snapshot") {
      this.#documents = new Map(event.documents.map((doc) => [doc.id, doc]));
      this.#items = [...event.documents].sort((a, b) => compareDocuments(a, b, this.#sort));
      this.#truncated = event.truncated;
    } else {
      const old = this.#documents.get(event.id);
      const items = [...this.#items];
      if (old) items.splice(this.#indexOf(items, old), 1);
      if (event.type === "delete" || event.type === "leave") {
        this.#documents.delete(event.id);
      } else {
        const doc = { id: event.id, data: event.data as T };
        this.#documents.set(event.id, doc);
        items.splice(this.#insertionPoint(items, doc), 0, doc);
      }
      this.#items = items;
    }
    if (!this.#notifyQueued) {
      this.#notifyQueued = true;
      queueMicrotask(() => {
        this.#notifyQueued = false;
        this.#changes.emit(this.#items);
      });
    }
  }

  /** Where `doc` goes in sorted `items` (binary search). */
  #insertionPoint(items: readonly WatchedDocument<T>[], doc: WatchedDocument<T>): number {
    let low = 0;
    let high = items.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (compareDocuments(items[mid] as WatchedDocument<T>, doc, this.#sort) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The index of `doc` (present) in sorted `items`. */
  #indexOf(items: readonly WatchedDocument<T>[], doc: WatchedDocument<T>): number {
    const at = this.#insertionPoint(items, doc);
    return items[at] === doc ? at : items.indexOf(doc);
  }
}

/** `client.collection(name).subscribe` and `.live`: what a collection adds for watching. */
export interface CollectionWatching<T extends object = DocumentData> {
  /**
   * Calls `callback` with every change to the documents matching `filter` (either syntax of
   * `list`), in order, from now on; with `{ snapshot: true }`, first with the matching documents.
   * Returns a function that unsubscribes (and closes the connection). Errors (e.g. `forbidden`
   * when the `read` rule refuses the caller, or giving up reconnecting) go to `options.onError`.
   *
   * @example
   * const unsubscribe = client.collection("orders").subscribe({ status: "paid" }, (event) => {
   *   if (event.type === "snapshot") show(event.documents);
   *   else if (event.type === "create" || event.type === "enter") add(event.id, event.data);
   *   else if (event.type === "update") replace(event.id, event.data);
   *   else remove(event.id); // delete, leave
   * }, { snapshot: true });
   */
  subscribe(
    filter: Filter | undefined,
    callback: (event: CollectionEvent<T>) => void,
    options?: SubscribeOptions & { onError?: ((error: FlarebaseError) => void) | undefined },
  ): Unsubscribe;

  /**
   * A live query: the documents matching `filter`, sorted, kept current (see {@link LiveQuery}).
   *
   * @example
   * const query = client.collection<Post>("posts").live("published == true", { sort: "-views" });
   * query.onChange((items) => render(items));
   */
  live(filter?: Filter, options?: LiveQueryOptions): LiveQuery<T>;
}

/** The watching methods of `client.collection(name)`. */
export function collectionWatching<T extends object = DocumentData>(
  core: ClientCore,
  name: string,
): CollectionWatching<T> {
  return {
    subscribe(filter, callback, options) {
      const subscription = new CollectionSubscription<T>(core, name, filter, options);
      subscription.on(callback);
      if (options?.onError) subscription.onError(options.onError);
      return () => subscription.close();
    },
    live: (filter, options) => new LiveQuery<T>(core, name, filter, options),
  };
}

/** `Promise.withResolvers`, which older browsers lack. */
function promiseWithResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

import type { DocumentData } from "../../core/documents/wire.js";
import type { WebSocketConstructor } from "../client.js";
import type { Filter } from "../collection-query.js";
import type { FlarebaseError } from "../errors.js";
import { Emitter, type Listener, type Unsubscribe } from "./emitter.js";
import type { ReconnectOptions } from "./policy.js";
import { standaloneCore } from "./standalone.js";
import { type ChangeEvent, CollectionSubscription, type SnapshotEvent } from "./watcher.js";

/**
 * A change as `CollectionWatcher` hands it over: the subscription's event, where a `delete`'s
 * `data` holds the deleted id (`d.data.id`, as the Cocobase SDK's watcher sends it) and `old_data` the
 * last version.
 */
export interface WatcherChange<T = DocumentData> extends Omit<ChangeEvent<T>, "data"> {
  data: T | { id: string } | null;
}

/** What `onConnected` receives, after every (re)connect once the watcher follows the live stream. */
export interface WatcherConnected {
  collection: string;
  connection_id: string;
  /** The sequence the watcher holds every change through. */
  seq: number;
}

export interface CollectionWatcherOptions {
  /** The server's URL; defaults to the page's origin in a browser. */
  url?: string;
  WebSocket?: WebSocketConstructor;
  /** Also deliver the matching documents first (and after a resync), to `onSnapshot`. */
  snapshot?: boolean;
  reconnect?: ReconnectOptions;
}

/**
 * The Cocobase SDK's `CollectionWatcher` (a hosted backend's client), on Flarebase's collection
 * watchers: live `create`, `update` (with `old_data`) and `delete` events for the documents of a
 * collection that match `filters` (either filter syntax of `list`), with automatic reconnection
 * that misses nothing. With a filter, documents also enter and leave it when they are updated:
 * listen with `onEnter` and `onLeave`, or use a live query (`client.collection(name).live(filter)`)
 * to keep a list exact.
 *
 * @example
 * const watcher = new CollectionWatcher("users", "pk_…", { status: "active" }, { url: "https://flarebase.example.com" });
 * watcher.onConnected((d) => console.log("connected", d));
 * watcher.onCreate((d) => console.log("created:", d.data));
 * watcher.onUpdate((d) => console.log("updated:", d.data, "old:", d.old_data));
 * watcher.onDelete((d) => console.log("deleted id:", d.data?.id));
 * watcher.connect();
 *
 * @example
 * // With a client: client.realtime.collection(name, filters)
 * const watcher = client.realtime.collection("users", { status: "active" }).connect();
 */
export class CollectionWatcher<T extends object = DocumentData> {
  /** The underlying subscription (its `seq`, `state`, `sync()`). */
  readonly subscription: CollectionSubscription<T>;
  #listeners = {
    connected: new Emitter<WatcherConnected>(),
    create: new Emitter<WatcherChange<T>>(),
    update: new Emitter<WatcherChange<T>>(),
    delete: new Emitter<WatcherChange<T>>(),
    enter: new Emitter<WatcherChange<T>>(),
    leave: new Emitter<WatcherChange<T>>(),
    snapshot: new Emitter<SnapshotEvent<T>>(),
  };
  #connected = false;

  /**
   * @param collection the collection to watch
   * @param apiKey the project's public key (a secret key only on a server)
   * @param filters a filter in either syntax of `list`; omit to watch every document
   */
  constructor(collection: string, apiKey: string, filters?: Filter, options?: CollectionWatcherOptions);
  /** @internal Used by `client.realtime.collection()`. */
  constructor(
    collection: string,
    core: ConstructorParameters<typeof CollectionSubscription>[0],
    filters?: Filter,
    options?: CollectionWatcherOptions,
  );
  constructor(
    readonly collection: string,
    keyOrCore: string | ConstructorParameters<typeof CollectionSubscription>[0],
    readonly filters?: Filter,
    options: CollectionWatcherOptions = {},
  ) {
    const core =
      typeof keyOrCore === "string"
        ? standaloneCore({ ...options, key: keyOrCore }, "new CollectionWatcher(name, key, filters, { url })")
        : keyOrCore;
    this.subscription = new CollectionSubscription<T>(core, collection, filters, {
      snapshot: options.snapshot,
      reconnect: options.reconnect,
    });
  }

  /** Called after every (re)connect, once the watcher follows the live stream. */
  onConnected(listener: Listener<WatcherConnected>): Unsubscribe {
    return this.#listeners.connected.on(listener);
  }

  /** A document matching the filter was created. */
  onCreate(listener: Listener<WatcherChange<T>>): Unsubscribe {
    return this.#listeners.create.on(listener);
  }

  /** A matching document was updated and still matches: `data` and `old_data`. */
  onUpdate(listener: Listener<WatcherChange<T>>): Unsubscribe {
    return this.#listeners.update.on(listener);
  }

  /** A matching document was deleted: `data.id` is its id, `old_data` its last version. */
  onDelete(listener: Listener<WatcherChange<T>>): Unsubscribe {
    return this.#listeners.delete.on(listener);
  }

  /** An update made a document match the filter (or readable by this client). */
  onEnter(listener: Listener<WatcherChange<T>>): Unsubscribe {
    return this.#listeners.enter.on(listener);
  }

  /** An update made a document stop matching the filter: `old_data` is its last matching version. */
  onLeave(listener: Listener<WatcherChange<T>>): Unsubscribe {
    return this.#listeners.leave.on(listener);
  }

  /** With `{ snapshot: true }`: the matching documents, first and after a resync. */
  onSnapshot(listener: Listener<SnapshotEvent<T>>): Unsubscribe {
    return this.#listeners.snapshot.on(listener);
  }

  /** Errors: the server's (for example `forbidden`), and giving up reconnecting. */
  onError(listener: Listener<FlarebaseError>): Unsubscribe {
    return this.subscription.onError(listener);
  }

  /** Starts watching (and reconnecting). Returns this, for chaining. */
  connect(): this {
    if (this.#connected) return this;
    this.#connected = true;
    this.subscription.onSynced((seq) => {
      const hello = this.subscription.hello;
      this.#listeners.connected.emit({ collection: this.collection, connection_id: hello?.connection_id ?? "", seq });
    });
    this.subscription.on((event) => {
      if (event.type === "snapshot") {
        this.#listeners.snapshot.emit(event);
        return;
      }
      const change: WatcherChange<T> = event.type === "delete" ? { ...event, data: { id: event.id } } : event;
      this.#listeners[event.type].emit(change);
    });
    return this;
  }

  /** Stops watching and closes the connection; a new watcher is needed afterwards. */
  disconnect(): void {
    this.subscription.close();
    for (const emitter of Object.values(this.#listeners)) emitter.clear();
  }
}

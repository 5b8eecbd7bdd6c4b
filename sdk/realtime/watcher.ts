import type { DocumentData } from "../../core/documents/wire.js";
import type {
  ResyncRequiredFrame,
  SnapshotEndFrame,
  WatchEventType,
  WatcherHelloFrame,
  WatcherServerFrame,
} from "../../core/protocol/watcher.js";
import type { ClientCore } from "../client.js";
import { type Filter, filterParams } from "../collection-query.js";
import { FlarebaseError } from "../errors.js";
import { Emitter, type Listener, type Unsubscribe } from "./emitter.js";
import type { ReconnectOptions } from "./policy.js";
import { type RealtimeCore, RealtimeSocket, type SocketState, type SocketStateChange } from "./socket.js";

/** A watched document: its id and data. */
export interface WatchedDocument<T = DocumentData> {
  id: string;
  data: T;
}

/**
 * One change as this subscription sees it. `create`, `update` (with `old_data`) and `delete`
 * (with `old_data`, the last version it saw); with a filter or rules, `enter` when an update made
 * a document visible to it and `leave` when an update made it invisible (only `old_data`).
 * `seq` is the change's sequence in the collection; `timestamp` its commit time (epoch ms).
 */
export interface ChangeEvent<T = DocumentData> {
  type: WatchEventType;
  seq: number;
  id: string;
  data: T | null;
  old_data: T | null;
  timestamp: number;
}

/**
 * The matching documents at sequence `seq`; every later event is a change after it. `resync` is
 * true when it replaces what the subscription held because changes were lost for good (the
 * server's change feed no longer had them): start over from `documents`.
 */
export interface SnapshotEvent<T = DocumentData> {
  type: "snapshot";
  seq: number;
  documents: WatchedDocument<T>[];
  /** More documents matched than the snapshot limit: `documents` holds the first ones by id. */
  truncated: boolean;
  resync: boolean;
}

/** What a subscription delivers, in order. */
export type CollectionEvent<T = DocumentData> = SnapshotEvent<T> | ChangeEvent<T>;

/** Options of a collection subscription. */
export interface SubscribeOptions {
  /** Start with a `snapshot` event holding the matching documents. Default false. */
  snapshot?: boolean | undefined;
  /** Most documents a snapshot holds, 1-10000 (server default 1000). */
  snapshotLimit?: number | undefined;
  /** Resume after this sequence (one a previous subscription reached, see `seq`). */
  sinceSeq?: number | undefined;
  /** Who this client is with a key (a token always speaks as its user). */
  clientId?: string | undefined;
  reconnect?: ReconnectOptions | undefined;
}

/**
 * A live subscription to a collection's changes, on its own reconnecting socket
 * (`client.collection(name).subscribe(...)` and the live query are built on it).
 *
 * Nothing is missed and nothing comes twice: the subscription tracks the last sequence it holds,
 * resumes from it after every reconnect (the server sends what it missed), and ignores anything at
 * or before it. When missed changes are gone from the server's change feed, it takes a fresh
 * snapshot by itself and delivers it as a `snapshot` event with `resync: true`.
 */
export class CollectionSubscription<T extends object = DocumentData> {
  #socket: RealtimeSocket<WatcherServerFrame, WatcherHelloFrame>;
  #seq: number | null;
  /** A snapshot being received (its parts come before its `snapshot_end`). */
  #parts: Map<string, T> | null = null;
  #events = new Emitter<CollectionEvent<T>>();
  #states = new Emitter<SocketStateChange>();
  #errors = new Emitter<FlarebaseError>();
  #synced = new Emitter<number>();
  #offToken: (() => void) | undefined;

  constructor(
    core: RealtimeCore & Partial<Pick<ClientCore, "onTokenChange">>,
    readonly collection: string,
    readonly filter: Filter | undefined,
    private readonly options: SubscribeOptions = {},
  ) {
    this.#seq = options.sinceSeq ?? null;
    const filterQuery = Object.entries(filterParams(filter)).map(([name, value]) => [name, queryText(value)]);
    this.#socket = new RealtimeSocket<WatcherServerFrame, WatcherHelloFrame>(
      core,
      `/v1/realtime/collections/${encodeURIComponent(collection)}`,
      () => ({
        ...Object.fromEntries(filterQuery),
        client_id: options.clientId,
        since_seq: this.#seq ?? undefined,
        // A snapshot at connect only when starting out; a resume needs none.
        snapshot: this.#seq === null && options.snapshot ? "true" : undefined,
        limit: options.snapshotLimit,
      }),
      {
        onHello: () => {
          // Parts of a snapshot cut by the reconnect are worthless: a resent request starts over.
          this.#parts = null;
        },
        onFrame: (frame) => this.#onFrame(frame),
        onState: (change) => {
          this.#states.emit(change);
          if (change.state === "failed" && change.error) this.#errors.emit(change.error);
        },
      },
      options.reconnect,
    );
    this.#offToken = core.onTokenChange?.(() => this.#socket.reconnect());
  }

  /** The last sequence this subscription holds every change through; null before it first connected. */
  get seq(): number | null {
    return this.#seq;
  }

  /** The socket's state. */
  get state(): SocketState {
    return this.#socket.state;
  }

  /** Who the server says this connection is (from the last hello); null before connecting. */
  get hello(): WatcherHelloFrame | null {
    return this.#socket.hello;
  }

  /** Listens to snapshots and changes, in order; connects if needed. Returns a function that removes it. */
  on(listener: Listener<CollectionEvent<T>>): Unsubscribe {
    this.#socket.open();
    return this.#events.on(listener);
  }

  /** Called each time the subscription follows the live stream (after every connect), with its sequence. */
  onSynced(listener: Listener<number>): Unsubscribe {
    return this.#synced.on(listener);
  }

  /** Called for errors the server reports on this connection and when it gives up reconnecting. */
  onError(listener: Listener<FlarebaseError>): Unsubscribe {
    return this.#errors.on(listener);
  }

  /** Called on every state change of this subscription's socket. */
  onStateChange(listener: Listener<SocketStateChange>): Unsubscribe {
    return this.#states.on(listener);
  }

  /** Starts connecting (listening with `on` does it too). */
  open(): void {
    this.#socket.open();
  }

  /**
   * Resolves once every change committed before the call has been delivered (the server reads its
   * change feed to the end and answers after the events), with the sequence reached.
   *
   * @throws {FlarebaseError} (rejects) when the subscription is closed or failed.
   */
  async sync(): Promise<number> {
    const reply = await this.#socket.request({ type: "sync" });
    if (reply.type === "synced") this.#advance(reply.seq);
    return this.#seq ?? 0;
  }

  /**
   * Asks for a fresh snapshot (delivered as a `snapshot` event); later events follow it.
   *
   * @throws {FlarebaseError} (rejects) when the server refuses it or the subscription closed.
   */
  async snapshot(): Promise<void> {
    const reply = await this.#socket.request({ type: "snapshot", limit: this.options.snapshotLimit });
    if (reply.type === "snapshot_end") this.#endSnapshot(reply, false);
  }

  /** Drops the connection and connects again now (resuming where it was). */
  reconnect(): void {
    this.#socket.reconnect();
  }

  /** Stops for good: closes the socket, removes every listener. */
  close(): void {
    this.#offToken?.();
    this.#socket.close();
    this.#events.clear();
    this.#synced.clear();
  }

  #onFrame(frame: WatcherServerFrame): void {
    switch (frame.type) {
      case "changes":
        for (const item of frame.items) {
          if (this.#seq !== null && item.seq <= this.#seq) continue;
          this.#seq = item.seq;
          const { event, ...rest } = item;
          this.#events.emit({ type: event, ...rest } as ChangeEvent<T>);
        }
        return;
      case "snapshot":
        this.#parts ??= new Map();
        for (const item of frame.items) this.#parts.set(item.id, item.data as T);
        for (const id of frame.removed ?? []) this.#parts.delete(id);
        return;
      case "snapshot_end":
        this.#endSnapshot(frame, false);
        return;
      case "synced":
        this.#advance(frame.seq);
        this.#synced.emit(frame.seq);
        return;
      case "resync_required":
        this.#resync(frame);
        return;
      case "error":
        this.#errors.emit(
          new FlarebaseError({ status: 0, code: frame.code, message: frame.message, details: frame.details, url: "" }),
        );
        return;
      default:
        return;
    }
  }

  #endSnapshot(end: SnapshotEndFrame, resync: boolean): void {
    const parts = this.#parts ?? new Map<string, T>();
    this.#parts = null;
    this.#seq = end.seq;
    const documents = [...parts].map(([id, data]) => ({ id, data }));
    this.#events.emit({ type: "snapshot", seq: end.seq, documents, truncated: end.truncated, resync });
  }

  /** Changes were lost for good: go on from where the server says, and start over from a snapshot. */
  #resync(frame: ResyncRequiredFrame): void {
    this.#seq = frame.seq;
    this.#socket.request({ type: "snapshot", limit: this.options.snapshotLimit }).then(
      (reply) => {
        if (reply.type === "snapshot_end") this.#endSnapshot(reply, true);
      },
      (error: unknown) => {
        if (error instanceof FlarebaseError) this.#errors.emit(error);
      },
    );
  }

  #advance(seq: number): void {
    if (this.#seq === null || seq > this.#seq) this.#seq = seq;
  }
}

function queryText(value: unknown): string {
  return Array.isArray(value) ? value.join(",") : String(value);
}

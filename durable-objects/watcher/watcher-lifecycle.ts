import type { Change } from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import { CLOSE_CODES } from "../../core/protocol/close-codes";
import type { ChangesPruned } from "../../data/documents/outbox";
import type { Attachment } from "../hub/attachment";
import { errorFrame, errorFrameOf } from "../hub/frames";
import { audienceOf, type WatchState } from "./watcher-attachment";
import { ChangeEvents, eventsByAudience, type WatchRules } from "./watcher-events";
import type { CollectionFeed } from "./watcher-feed";
import { changesFrames, resyncFrame, snapshotEndFrame, syncedFrame } from "./watcher-frames";
import { type SnapshotResult, takeSnapshot } from "./watcher-snapshot";
import { FilterRefs, type Subscriber, SubscriptionIndex } from "./watcher-subscriptions";

/** Changes per read of the feed. */
const FEED_PAGE = 100;

/** How long a `sync` request waits for its connection to reach the live stream. */
const SYNC_TIMEOUT_MS = 10_000;

/**
 * What the life cycle needs from the object that hosts it: storage and sockets, nothing more. The
 * object keeps no subscriber state of its own.
 */
export interface WatcherHost {
  /** The collection's change feed and rules. @throws before the object knows its collection */
  feed(): CollectionFeed;
  /** Sends a frame to one connection (a connection that is gone is dropped, and disconnected here). */
  send(ws: WebSocket, frame: string): void;
  /** Closes a connection from our side (send the `error` frame saying why first). */
  close(ws: WebSocket, code: number, reason: string): void;
  /** Records in the connection's attachment whether it follows the live stream. */
  saveLive(ws: WebSocket, live: boolean): void;
  /** Persists the delivered sequence (before any frame carrying it goes out). */
  saveDelivered(seq: number): void;
  /** Someone follows the stream: make sure the catch-up alarm is set. */
  following(): void;
  /** Frame coalescing bounds: items and bytes per frame. */
  frameBounds(): { items: number; bytes: number };
}

/** A snapshot taken on request, and how to put its subscriber back on the stream. */
export interface RequestedSnapshot {
  result: SnapshotResult;
  /** Joins the stream at the snapshot's sequence: call it once the `snapshot_end` is sent. */
  resume(): void;
}

/**
 * The subscribers of one collection watcher, from connect to close: their subscriptions (filter
 * and audience), where each stands, and the one position the watcher delivered through. Only this
 * class changes that state. A subscriber is in one state:
 * - `starting`: connected, about to be placed (reading the feed's head, or a snapshot is next);
 * - `snapshot`: receiving a snapshot; after its `snapshot_end` it joins at the snapshot's sequence;
 * - `catching_up`: behind `delivered` (a resume, an older snapshot): it reads the feed alone;
 * - `ahead`: ahead of `delivered` (a snapshot that read a newer head): it waits for the pump;
 * - `live`: at `delivered`; every page the pump reads reaches it;
 * - `closed`: gone; work started for it stops.
 *
 * Delivery: a pump reads the feed after `delivered` (one read at a time, again when asked during a
 * read), evaluates each change once per filter group and audience, and sends each live audience one
 * frame per page. `delivered` is persisted before the frames that carry it, and only `live` is
 * recorded in the attachment, so after eviction a live subscriber stands at the persisted
 * `delivered` (nothing sent twice, nothing skipped); one that was between states is asked to
 * reconnect, and resumes from the last sequence it holds.
 */
export class SubscriberLifecycle {
  readonly #host: WatcherHost;
  readonly #subscribers = new Map<WebSocket, Subscriber>();
  readonly #filters = new FilterRefs();
  readonly #live = new SubscriptionIndex();
  readonly #ahead = new Map<number, Set<Subscriber>>();
  #delivered: number;
  #pumping: Promise<void> | null = null;
  #again = false;
  /** The earliest token expiry among subscribers (epoch ms), or Infinity: when to look again. */
  #nextExpiry = Number.POSITIVE_INFINITY;

  constructor(host: WatcherHost, delivered: number) {
    this.#host = host;
    this.#delivered = delivered;
  }

  /** The sequence every live subscriber holds every change through. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Connected subscribers, in any state. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Where the watcher stands (for diagnostics and tests). */
  stats(): { delivered: number; subscribers: number; live: number; filter_groups: number; ahead: number } {
    let ahead = 0;
    for (const waiting of this.#ahead.values()) ahead += waiting.size;
    return {
      delivered: this.#delivered,
      subscribers: this.#subscribers.size,
      live: this.#live.size,
      filter_groups: this.#live.groupCount,
      ahead,
    };
  }

  // ===== Connections

  /**
   * A new connection. It is registered now and started a microtask later, so that the caller's
   * `hello` goes out first: with a snapshot (when `snapshotLimit` is set), a resume from `since`,
   * or the live stream from now.
   *
   * @throws {ApiError} `invalid_filter` when the filter does not parse.
   */
  connect(
    ws: WebSocket,
    attachment: Attachment,
    state: WatchState,
    since: number | null,
    snapshotLimit: number | null,
  ): void {
    const subscriber = this.#add(ws, attachment, state);
    void Promise.resolve().then(() => this.#start(subscriber, since, snapshotLimit));
  }

  /**
   * A connection found after a wake-up (or eviction), from its attachment. One that was live stands
   * at the persisted `delivered`; one that was between states (its progress lived in memory) is
   * asked to reconnect.
   */
  restore(ws: WebSocket, attachment: Attachment, state: WatchState): void {
    if (state.l !== 1) {
      this.#host.send(ws, errorFrame(null, "internal", "The watcher restarted; reconnect and resume."));
      this.#host.close(ws, CLOSE_CODES.going_away, "restarted");
      return;
    }
    try {
      const subscriber = this.#add(ws, attachment, state);
      subscriber.state = "live";
      subscriber.cursor = this.#delivered;
      this.#live.add(subscriber);
    } catch (error) {
      console.error("CollectionWatcher: a subscription could not be restored", error);
      this.#host.send(
        ws,
        errorFrame(null, "internal", "The subscription could not be restored; reconnect and resume."),
      );
      this.#host.close(ws, CLOSE_CODES.internal, "internal");
    }
  }

  /** A connection is gone: whatever was under way for it stops. */
  disconnect(ws: WebSocket): void {
    const subscriber = this.#subscribers.get(ws);
    if (!subscriber) return;
    this.#detach(subscriber);
    subscriber.state = "closed";
    subscriber.run++;
    this.#subscribers.delete(ws);
    this.#filters.release(subscriber.filter);
    this.#wake(subscriber);
  }

  // ===== Requests

  /**
   * A `snapshot` request: takes the subscriber off the stream and sends it the snapshot.
   *
   * @throws {ApiError} `invalid_request` while a snapshot is under way on it; what the snapshot
   * threw when it failed (the subscriber is then back on the stream where it was).
   */
  async requestSnapshot(ws: WebSocket, limit: number): Promise<RequestedSnapshot> {
    const subscriber = this.#subscriberAt(ws);
    if (subscriber.state === "snapshot") {
      throw new ApiError("invalid_request", "A snapshot is already being taken on this connection; wait for it.");
    }
    const result = await this.#snapshot(subscriber, limit, false);
    return { result, resume: () => this.#join(subscriber, result.seq) };
  }

  /**
   * A `sync` request: reads the feed to its end and waits for the subscriber to be live. Returns the
   * sequence it then holds every change through.
   *
   * @throws {ApiError} `internal` when it did not reach the live stream in time.
   */
  async sync(ws: WebSocket): Promise<number> {
    const subscriber = this.#subscriberAt(ws);
    await this.pump();
    if (subscriber.state !== "live" && subscriber.state !== "closed") {
      const { promise, resolve } = Promise.withResolvers<void>();
      subscriber.waiters.push(resolve);
      const timer = setTimeout(resolve, SYNC_TIMEOUT_MS);
      await promise;
      clearTimeout(timer);
    }
    if (subscriber.state !== "live") {
      throw new ApiError("internal", "This connection did not reach the live stream in time; retry.");
    }
    return this.#delivered;
  }

  // ===== Delivery

  /** Reads the feed to its end and delivers; one read at a time, repeated when asked meanwhile. */
  pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return this.#pumping;
    }
    this.#pumping = (async () => {
      try {
        do {
          this.#again = false;
          await this.#drain();
        } while (this.#again);
      } catch (error) {
        // The next notification or the catch-up alarm reads again from `delivered`.
        console.error("CollectionWatcher: delivery failed", error);
      } finally {
        this.#pumping = null;
      }
    })();
    return this.#pumping;
  }

  async #drain(): Promise<void> {
    for (;;) {
      this.#closeExpired();
      this.#fastForward();
      if (this.#live.size === 0 && this.#ahead.size === 0) return;
      const since = this.#delivered;
      const feed = this.#host.feed();
      const [read, rules] = await Promise.all([feed.read(since, FEED_PAGE), feed.rules()]);
      if (read.pruned) {
        if (this.#delivered === since) this.#skipPruned(read);
        continue;
      }
      // Moved meanwhile (a fast-forward): this page may start too early.
      if (this.#delivered !== since) continue;
      this.#deliver(read.page.items, rules);
      if (read.page.next_cursor === null) return;
    }
  }

  /**
   * Delivers a page to the live subscribers. Subscribers waiting for a position within it join
   * right after that change: what came before is not theirs.
   */
  #deliver(changes: readonly Change[], rules: WatchRules): void {
    if (!rules.read) this.#closeReaders();
    let from = 0;
    for (let i = 0; i < changes.length; i++) {
      const seq = (changes[i] as Change).seq;
      if (i < changes.length - 1 && !this.#ahead.has(seq)) continue;
      const pending = eventsByAudience(this.#live, changes.slice(from, i + 1), rules);
      this.#delivered = seq;
      this.#host.saveDelivered(seq);
      for (const [audience, events] of pending) this.#sendChanges(audience.members, events);
      this.#promote(seq);
      from = i + 1;
    }
  }

  /** A subscriber behind `delivered` reads the feed alone until it reaches it. */
  async #catchUp(subscriber: Subscriber, run: number): Promise<void> {
    try {
      for (;;) {
        this.#closeExpired();
        const feed = this.#host.feed();
        const [read, rules] = await Promise.all([feed.read(subscriber.cursor, FEED_PAGE), feed.rules()]);
        if (subscriber.run !== run || subscriber.state !== "catching_up") return;
        if (read.pruned) {
          // Like a resume from too far back: told so, it goes on from the head.
          const head = Math.max(read.last_seq, this.#delivered);
          this.#host.send(subscriber.ws, resyncFrame("too_old", subscriber.cursor, read.oldest_seq - 1, head));
          this.#join(subscriber, head);
          return;
        }
        const { page } = read;
        const limit = this.#delivered;
        const events: string[] = [];
        let last = subscriber.cursor;
        for (const change of page.items) {
          if (change.seq > limit) break;
          const event = new ChangeEvents(change, rules).eventFor(subscriber.filter, subscriber.audience);
          if (event !== null) events.push(event);
          last = change.seq;
        }
        if (last === subscriber.cursor && last < limit) {
          throw new Error(`The change feed has nothing after ${last}, yet changes through ${limit} were delivered.`);
        }
        this.#sendChanges([subscriber], events);
        subscriber.cursor = last;
        if (last >= this.#delivered) {
          this.#join(subscriber, last);
          return;
        }
      }
    } catch (error) {
      if (subscriber.run !== run || subscriber.state !== "catching_up") return;
      this.#fail(subscriber, error);
    }
  }

  /**
   * The feed was pruned past `delivered` (the object fell behind the retention while no
   * notification reached it): whoever needed those changes is told, and the stream goes on after
   * the pruned ones.
   */
  #skipPruned(pruned: ChangesPruned): void {
    const resumeAt = pruned.oldest_seq - 1;
    const affected: [Subscriber, number][] = [];
    for (const subscriber of this.#live.subscribers()) affected.push([subscriber, this.#delivered]);
    for (const [cursor, waiting] of this.#ahead) {
      if (cursor >= resumeAt) continue;
      for (const subscriber of waiting) affected.push([subscriber, cursor]);
      this.#ahead.delete(cursor);
    }
    this.#delivered = resumeAt;
    this.#host.saveDelivered(resumeAt);
    for (const [subscriber, since] of affected) {
      this.#host.send(subscriber.ws, resyncFrame("too_old", since, resumeAt, resumeAt));
      if (subscriber.state !== "live") this.#goLive(subscriber);
    }
    this.#promote(resumeAt);
  }

  /** Sends serialized events to subscribers, coalesced into `changes` frames. */
  #sendChanges(subscribers: Iterable<Subscriber>, events: readonly string[]): void {
    if (events.length === 0) return;
    const { items, bytes } = this.#host.frameBounds();
    const frames = changesFrames(events, items, bytes);
    for (const subscriber of subscribers) for (const frame of frames) this.#host.send(subscriber.ws, frame);
  }

  // ===== Transitions

  /** Places a new connection: a snapshot first, a resume from `since`, or the stream from now. */
  async #start(subscriber: Subscriber, since: number | null, snapshotLimit: number | null): Promise<void> {
    const run = subscriber.run;
    try {
      if (snapshotLimit !== null) {
        const result = await this.#snapshot(subscriber, snapshotLimit, true);
        this.#host.send(subscriber.ws, snapshotEndFrame(null, result));
        this.#join(subscriber, result.seq);
        return;
      }
      const head = await this.#host.feed().head();
      if (subscriber.run !== run || subscriber.state !== "starting") return;
      if (since !== null && (since > head.seq || since < head.pruned_through)) {
        const reason = since > head.seq ? "reset" : "too_old";
        this.#host.send(subscriber.ws, resyncFrame(reason, since, head.pruned_through, head.seq));
      }
      const resumable = since !== null && since <= head.seq && since >= head.pruned_through;
      this.#join(subscriber, resumable ? since : head.seq);
    } catch (error) {
      // Unless a snapshot request took over meanwhile (or the connection closed).
      if (subscriber.state === "starting" && (subscriber.run === run || snapshotLimit !== null)) {
        this.#fail(subscriber, error);
      }
    }
  }

  /**
   * Takes the subscriber off the stream and sends it a snapshot. The caller puts it back on the
   * stream at the snapshot's sequence, after the `snapshot_end`.
   *
   * @throws {ApiError} when the snapshot failed. A requested one leaves the subscriber back on the
   * stream where it was; one taken at connect leaves it `starting`, for the caller to fail.
   */
  async #snapshot(subscriber: Subscriber, limit: number, atConnect: boolean): Promise<SnapshotResult> {
    const previous = subscriber.state;
    this.#detach(subscriber);
    subscriber.state = "snapshot";
    const run = ++subscriber.run;
    try {
      const feed = this.#host.feed();
      const { items, bytes } = this.#host.frameBounds();
      const result = await takeSnapshot({
        db: feed.db,
        projectId: feed.projectId,
        collection: feed.collection,
        filter: subscriber.filter,
        audience: subscriber.audience,
        rules: await feed.rules(),
        limit,
        frameItems: items,
        frameBytes: bytes,
        send: (frame) => this.#host.send(subscriber.ws, frame),
        wanted: () => subscriber.run === run && subscriber.state === "snapshot",
      });
      if (!result) throw new ApiError("internal", "The snapshot was abandoned: the connection closed or restarted.");
      return result;
    } catch (error) {
      if (subscriber.run === run && subscriber.state === "snapshot") {
        subscriber.state = "starting";
        // A subscriber that had no position yet starts from now, as if it had asked for nothing.
        if (!atConnect && previous === "starting") void this.#start(subscriber, null, null);
        else if (!atConnect) this.#join(subscriber, subscriber.cursor);
      }
      throw error;
    }
  }

  /**
   * Puts a subscriber that holds every change through `cursor` on the stream: behind `delivered`
   * it catches up alone, ahead of it it waits for the pump, at it it is live.
   */
  #join(subscriber: Subscriber, cursor: number): void {
    if (subscriber.state === "closed") return;
    subscriber.cursor = cursor;
    if (cursor < this.#delivered) {
      subscriber.state = "catching_up";
      void this.#catchUp(subscriber, subscriber.run);
      return;
    }
    if (cursor > this.#delivered) {
      subscriber.state = "ahead";
      let waiting = this.#ahead.get(cursor);
      if (!waiting) {
        waiting = new Set();
        this.#ahead.set(cursor, waiting);
      }
      waiting.add(subscriber);
      this.#fastForward();
      if (subscriber.state === "ahead") void this.pump();
      return;
    }
    this.#goLive(subscriber);
    // `delivered` may trail the feed (nobody was live to pump it): read on from here.
    void this.pump();
  }

  /**
   * Takes a subscriber off the stream (a snapshot restarts it, or it closed). Its cursor is where
   * it stood, so it can join again from there.
   */
  #detach(subscriber: Subscriber): void {
    if (subscriber.state === "live") {
      this.#live.remove(subscriber);
      subscriber.cursor = this.#delivered;
      this.#host.saveLive(subscriber.ws, false);
    } else if (subscriber.state === "ahead") {
      const waiting = this.#ahead.get(subscriber.cursor);
      waiting?.delete(subscriber);
      if (waiting?.size === 0) this.#ahead.delete(subscriber.cursor);
    }
  }

  /** With nobody live, nobody needs the changes before the first waiting subscriber: skip them. */
  #fastForward(): void {
    if (this.#live.size > 0 || this.#ahead.size === 0) return;
    const next = Math.min(...this.#ahead.keys());
    this.#delivered = next;
    this.#host.saveDelivered(next);
    this.#promote(next);
  }

  #promote(seq: number): void {
    const waiting = this.#ahead.get(seq);
    if (!waiting) return;
    this.#ahead.delete(seq);
    for (const subscriber of waiting) this.#goLive(subscriber);
  }

  #goLive(subscriber: Subscriber): void {
    subscriber.state = "live";
    subscriber.cursor = this.#delivered;
    this.#live.add(subscriber);
    this.#host.saveLive(subscriber.ws, true);
    this.#host.send(subscriber.ws, syncedFrame(null, this.#delivered));
    this.#host.following();
    this.#wake(subscriber);
  }

  /** Wakes the `sync` requests waiting for this subscriber to be live (or closed). */
  #wake(subscriber: Subscriber): void {
    for (const wake of subscriber.waiters.splice(0)) wake();
  }

  // ===== Ending

  /** Tells a subscriber why it cannot be served and closes its connection. */
  #fail(subscriber: Subscriber, error: unknown): void {
    if (subscriber.state === "closed") return;
    if (error instanceof ApiError) {
      this.#host.send(subscriber.ws, errorFrameOf(null, error));
      this.#host.close(subscriber.ws, error.closeCode, error.code);
      return;
    }
    console.error("CollectionWatcher: a subscriber failed", error);
    this.#host.send(subscriber.ws, errorFrame(null, "internal", "The subscription failed on our side; reconnect."));
    this.#host.close(subscriber.ws, CLOSE_CODES.internal, "internal");
  }

  /** The collection lost its read rule: only secret keys may watch it now. */
  #closeReaders(): void {
    for (const subscriber of [...this.#subscribers.values()]) {
      if (subscriber.audience.bypass) continue;
      this.#fail(
        subscriber,
        new ApiError("forbidden", "The collection has no read rule any more; only secret keys may watch it."),
      );
    }
  }

  /**
   * Closes subscribers whose token expired, before any further change reaches them. The hub checks
   * expiry only when a connection sends a frame, and a watcher's subscribers may send none (the
   * heartbeat never wakes the object), so each read of the feed checks it too: once per expiry,
   * not per change.
   */
  #closeExpired(): void {
    const now = Date.now();
    if (now < this.#nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const subscriber of [...this.#subscribers.values()]) {
      if (now < subscriber.expiresAt) {
        next = Math.min(next, subscriber.expiresAt);
        continue;
      }
      this.#host.send(
        subscriber.ws,
        errorFrame(null, "token_expired", "The token expired; reconnect with a fresh one."),
      );
      this.#host.close(subscriber.ws, CLOSE_CODES.token_expired, "token_expired");
    }
    this.#nextExpiry = next;
  }

  // ===== Registry

  #add(ws: WebSocket, attachment: Attachment, state: WatchState): Subscriber {
    const subscriber: Subscriber = {
      ws,
      filter: this.#filters.acquire(state.f),
      audience: audienceOf(attachment, state),
      expiresAt: attachment.exp === null ? Number.POSITIVE_INFINITY : attachment.exp * 1000,
      state: "starting",
      cursor: 0,
      run: 0,
      waiters: [],
    };
    this.#subscribers.set(ws, subscriber);
    this.#nextExpiry = Math.min(this.#nextExpiry, subscriber.expiresAt);
    return subscriber;
  }

  /** @throws {ApiError} `internal` when the connection has no subscription (it was lost). */
  #subscriberAt(ws: WebSocket): Subscriber {
    const subscriber = this.#subscribers.get(ws);
    if (!subscriber) throw new ApiError("internal", "This connection's subscription was lost; reconnect.");
    return subscriber;
  }
}

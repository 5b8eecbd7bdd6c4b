import type { Change } from "../../core/documents/wire";
import { messagesFrames } from "../hub/frames";
import { ChangeEvents, type WatchRules } from "./watcher-events";
import { FeedPruned } from "./watcher-feed";
import { type Audience, type Subscriber, SubscriptionIndex } from "./watcher-subscriptions";

/** Changes per read of the feed. */
const FEED_PAGE = 100;

/** What the stream needs from the object that hosts it. */
export interface StreamHost {
  /** Up to `limit` changes after `since`, oldest first. @throws {FeedPruned} */
  readFeed(since: number, limit: number): Promise<{ items: Change[]; next_cursor: string | null }>;
  /** The collection's rules, as they are now. */
  rules(): Promise<WatchRules>;
  /** Sends a frame to one connection. */
  send(ws: WebSocket, frame: string): void;
  /** Records in the connection's attachment whether it follows the live stream. */
  markLive(subscriber: Subscriber, live: boolean): void;
  /** Persists the delivered sequence (before any frame carrying it goes out). */
  saveDelivered(seq: number): void;
  /** Frame coalescing bounds: items and bytes per frame. */
  frameBounds(): { items: number; bytes: number };
  /** Some subscribers may no longer read (the collection lost its read rule): close them. */
  onReadRuleMissing(): void;
  /** A subscriber could not be served: tell it and close it. */
  fail(subscriber: Subscriber, error: unknown): void;
  /** Someone follows the stream: make sure the catch-up alarm is set. */
  following(): void;
  /** Before each read of the feed: closes subscribers that may not receive anything more (an expired token). */
  beforeRead(): void;
}

/**
 * Delivery from the change feed. The object keeps one position, `delivered`: every live subscriber
 * holds every change through it. A pump reads the feed after `delivered` (one read at a time, again
 * when asked during a read), evaluates each change once per filter group and audience, and sends
 * each live audience one frame per page. A subscriber joins at its own position:
 * - behind `delivered` (a resume, a snapshot taken earlier), it catches up alone from the feed;
 * - ahead of it (a snapshot that read a newer head), it waits until the pump reaches its position;
 * - at it, it is live.
 * `delivered` is persisted before the frames that carry it, so after eviction nothing is sent twice
 * and nothing is skipped.
 */
export class WatcherStream {
  readonly live = new SubscriptionIndex();
  #ahead = new Map<number, Set<Subscriber>>();
  #delivered: number;
  #pumping: Promise<void> | null = null;
  #again = false;

  constructor(
    private readonly host: StreamHost,
    delivered: number,
  ) {
    this.#delivered = delivered;
  }

  get delivered(): number {
    return this.#delivered;
  }

  /** Subscribers waiting for the pump to reach their position. */
  get aheadCount(): number {
    let count = 0;
    for (const set of this.#ahead.values()) count += set.size;
    return count;
  }

  /** Puts a subscriber that holds every change through `cursor` on the stream. */
  join(subscriber: Subscriber, cursor: number): void {
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
      if (!waiting) this.#ahead.set(cursor, (waiting = new Set()));
      waiting.add(subscriber);
      this.#fastForward();
      if (subscriber.state === "ahead") void this.pump();
      return;
    }
    this.#goLive(subscriber);
    // `delivered` may trail the feed (nobody was live to pump it): read on from here.
    void this.pump();
  }

  /** A live subscriber that was restored after a wake-up: it stands at `delivered`. */
  restore(subscriber: Subscriber): void {
    subscriber.state = "live";
    subscriber.cursor = this.#delivered;
    this.live.add(subscriber);
  }

  /**
   * Takes a subscriber off the stream (a snapshot restarts it, or it closed). Its cursor is where
   * it stood, so it can join again from there.
   */
  detach(subscriber: Subscriber): void {
    if (subscriber.state === "live") {
      this.live.remove(subscriber);
      subscriber.cursor = this.#delivered;
      this.host.markLive(subscriber, false);
    } else if (subscriber.state === "ahead") {
      const waiting = this.#ahead.get(subscriber.cursor);
      waiting?.delete(subscriber);
      if (waiting?.size === 0) this.#ahead.delete(subscriber.cursor);
    }
  }

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

  /** Sends serialized events to subscribers, coalesced into `changes` frames. */
  sendChanges(subscribers: Iterable<Subscriber>, events: readonly string[]): void {
    if (events.length === 0) return;
    const { items, bytes } = this.host.frameBounds();
    const frames = messagesFrames(events, items, bytes, "changes");
    for (const subscriber of subscribers) for (const frame of frames) this.host.send(subscriber.ws, frame);
  }

  // ===== Internals

  async #drain(): Promise<void> {
    for (;;) {
      this.host.beforeRead();
      this.#fastForward();
      if (this.live.size === 0 && this.#ahead.size === 0) return;
      const since = this.#delivered;
      let page: Awaited<ReturnType<StreamHost["readFeed"]>>;
      let rules: WatchRules;
      try {
        [page, rules] = await Promise.all([this.host.readFeed(since, FEED_PAGE), this.host.rules()]);
      } catch (error) {
        if (!(error instanceof FeedPruned)) throw error;
        if (this.#delivered === since) this.#skipPruned(error);
        continue;
      }
      // Moved meanwhile (a fast-forward): this page may start too early.
      if (this.#delivered !== since) continue;
      this.#deliver(page.items, rules);
      if (page.next_cursor === null) return;
    }
  }

  #deliver(changes: readonly Change[], rules: WatchRules): void {
    if (!rules.read) this.host.onReadRuleMissing();
    const pending = new Map<Audience, string[]>();
    const flush = () => {
      this.host.saveDelivered(this.#delivered);
      for (const [audience, events] of pending) this.sendChanges(audience.members, events);
      pending.clear();
    };
    for (const change of changes) {
      const events = new ChangeEvents(change, rules);
      for (const group of this.live.candidates(change.old_data, change.data)) {
        for (const audience of group.audiences.values()) {
          const event = events.eventFor(group.filter, audience.ref);
          if (event === null) continue;
          const list = pending.get(audience);
          if (list) list.push(event);
          else pending.set(audience, [event]);
        }
      }
      this.#delivered = change.seq;
      // Subscribers waiting for this position join now: what is pending is not theirs.
      if (this.#ahead.has(change.seq)) {
        flush();
        this.#promote(change.seq);
      }
    }
    if (changes.length > 0) flush();
  }

  /** A subscriber behind `delivered` reads the feed alone until it reaches it. */
  async #catchUp(subscriber: Subscriber, run: number): Promise<void> {
    try {
      for (;;) {
        this.host.beforeRead();
        const [page, rules] = await Promise.all([this.host.readFeed(subscriber.cursor, FEED_PAGE), this.host.rules()]);
        if (subscriber.run !== run || subscriber.state !== "catching_up") return;
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
        this.sendChanges([subscriber], events);
        subscriber.cursor = last;
        if (last >= this.#delivered) {
          this.join(subscriber, last);
          return;
        }
      }
    } catch (error) {
      if (subscriber.run !== run || subscriber.state !== "catching_up") return;
      if (error instanceof FeedPruned) {
        // Like a resume from too far back: told so, it goes on from the head.
        const head = Math.max(error.head, this.#delivered);
        this.host.send(subscriber.ws, resyncFrame("too_old", subscriber.cursor, error.prunedThrough, head));
        this.join(subscriber, head);
        return;
      }
      this.host.fail(subscriber, error);
    }
  }

  /**
   * The feed was pruned past `delivered` (the object fell behind the retention while no
   * notification reached it): whoever needed those changes is told, and the stream goes on after
   * the pruned ones.
   */
  #skipPruned(error: FeedPruned): void {
    const resumeAt = error.prunedThrough;
    const affected: [Subscriber, number][] = [];
    for (const subscriber of this.live.subscribers()) affected.push([subscriber, this.#delivered]);
    for (const [cursor, waiting] of this.#ahead) {
      if (cursor >= resumeAt) continue;
      for (const subscriber of waiting) affected.push([subscriber, cursor]);
      this.#ahead.delete(cursor);
    }
    this.#delivered = resumeAt;
    this.host.saveDelivered(resumeAt);
    for (const [subscriber, since] of affected) {
      this.host.send(subscriber.ws, resyncFrame("too_old", since, resumeAt, resumeAt));
      if (subscriber.state !== "live") this.#goLive(subscriber);
    }
    this.#promote(resumeAt);
  }

  /** With nobody live, nobody needs the changes before the first waiting subscriber: skip them. */
  #fastForward(): void {
    if (this.live.size > 0 || this.#ahead.size === 0) return;
    const next = Math.min(...this.#ahead.keys());
    this.#delivered = next;
    this.host.saveDelivered(next);
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
    this.live.add(subscriber);
    this.host.markLive(subscriber, true);
    this.host.send(subscriber.ws, `{"v":1,"type":"synced","ref":null,"seq":${this.#delivered}}`);
    this.host.following();
    const waiters = subscriber.waiters;
    subscriber.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A `resync_required` frame for changes `since + 1`..`prunedThrough` that are gone. */
export function resyncFrame(reason: "too_old" | "reset", since: number, prunedThrough: number | null, seq: number) {
  const missed = reason === "too_old" && prunedThrough !== null;
  return JSON.stringify({
    v: 1,
    type: "resync_required",
    reason,
    since_seq: since,
    missed_from: missed ? since + 1 : null,
    missed_to: missed ? prunedThrough : null,
    seq,
  });
}

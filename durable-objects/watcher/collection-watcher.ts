import { CLOSE_CODES } from "../../core/protocol/close-codes";
import type { ConnectParams } from "../../core/protocol/connect-params";
import {
  DEFAULT_SNAPSHOT_LIMIT,
  type SnapshotRequestFrame,
  WATCHER_CLIENT_FRAME_TYPES,
  WatchConnect,
  WatcherClientFrame,
} from "../../core/protocol/watcher";
import { parseExpression, TRUE } from "../../core/query";
import type { Attachment } from "../hub/attachment";
import { errorFrame } from "../hub/frames";
import { type BaseClientFrame, HubError, type ReplyAndThen, SocketHub } from "../hub/socket-hub";
import { audienceOf, type WatcherAttachment, type WatchState, watchStateOf } from "./watcher-attachment";
import { RulesReader, readFeed, readHead } from "./watcher-feed";
import { type SnapshotResult, takeSnapshot } from "./watcher-snapshot";
import { resyncFrame, WatcherStream } from "./watcher-stream";
import type { FilterRef, Subscriber } from "./watcher-subscriptions";

/**
 * How often the watcher reads the change feed on its own while someone is subscribed, so a change
 * whose notification was lost still arrives (the next notification would bring it too).
 */
export const CATCH_UP_INTERVAL_MS = 30_000;

/** How long a `sync` request waits for its connection to reach the live stream. */
const SYNC_TIMEOUT_MS = 10_000;

interface Target {
  projectId: string;
  collection: string;
}

/**
 * The live queries of one collection of one project: the object named `<project id>:<collection>`.
 *
 * Each connection is one subscription (a filter, and the subscriber's identity for the rules).
 * Changes come from the collection's change feed in D1, read after the last sequence delivered:
 * the write path notifies the object after each commit (`notify`), and while anyone is subscribed
 * an alarm reads the feed every {@link CATCH_UP_INTERVAL_MS} as well, so a lost notification costs
 * latency, never a change. Delivery and positions: watcher-stream.ts; matching: watcher-events.ts
 * and watcher-subscriptions.ts; snapshots: watcher-snapshot.ts. See docs/live-queries.md.
 */
export class CollectionWatcher extends SocketHub {
  protected readonly frameSchema = WatcherClientFrame;
  protected readonly frameTypes: ReadonlySet<string> = new Set(WATCHER_CLIENT_FRAME_TYPES);

  readonly #stream: WatcherStream;
  #target: Target | null;
  #subscribers = new Map<WebSocket, Subscriber>();
  #filters = new Map<string, { ref: FilterRef; users: number }>();
  #rules: RulesReader | null = null;
  #rebuilt = false;
  #alarmChecked = false;
  /** The earliest token expiry among subscribers (epoch ms), or Infinity: when to look again. */
  #nextExpiry = Number.POSITIVE_INFINITY;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#target = parseTarget(this.meta("target"));
    this.#stream = new WatcherStream(
      {
        readFeed: (since, limit) => readFeed(this.env.DB, ...this.#targetOrThrow(), since, limit),
        rules: () => this.#rulesReader().read(),
        send: (ws, frame) => void this.sendTo(ws, frame),
        markLive: (subscriber, live) => this.#markLive(subscriber, live),
        saveDelivered: (seq) => this.setMeta("delivered", String(seq)),
        frameBounds: () => ({ items: this.limits.coalesce_max_items, bytes: this.limits.coalesce_max_bytes }),
        onReadRuleMissing: () => this.#closeReaders(),
        fail: (subscriber, error) => this.#fail(subscriber, error),
        following: () => void this.#armAlarm(),
        beforeRead: () => this.#closeExpired(),
      },
      Number(this.meta("delivered") ?? 0),
    );
  }

  override async alarm(): Promise<void> {
    this.#rebuild();
    this.#alarmChecked = false;
    if (this.#subscribers.size === 0) return;
    await this.#stream.pump();
    await this.#armAlarm();
  }

  // ===== RPC (called by the Worker)

  /**
   * A write to the collection committed with change sequence `seq` (worker/documents/notify.ts).
   * Resolves once it is delivered; the write never waits for this.
   */
  async notify(projectId: string, collection: string, seq: number): Promise<void> {
    this.#setTarget(projectId, collection);
    this.#rebuild();
    if (seq <= this.#stream.delivered) return;
    await this.#stream.pump();
  }

  /** Where the watcher stands (for diagnostics and tests). */
  state(): { delivered: number; subscribers: number; live: number; filter_groups: number; ahead: number } {
    this.#rebuild();
    return {
      delivered: this.#stream.delivered,
      subscribers: this.#subscribers.size,
      live: this.#stream.live.size,
      filter_groups: this.#stream.live.groupCount,
      ahead: this.#stream.aheadCount,
    };
  }

  // ===== Socket hub hooks

  protected onConnect(ws: WebSocket, attachment: Attachment, params: ConnectParams): string[] {
    this.#rebuild();
    const watch = WatchConnect.parse(params.extra ?? {});
    this.#setTarget(params.project_id, params.name);
    const state: WatchState = { f: watch.filter, r: watch.role, c: watch.claims, l: 0 };
    const full: WatcherAttachment = { ...attachment, w: state };
    this.setAttachment(ws, full);
    const subscriber = this.#subscriberOf(ws, full, state);
    // After this returns: the hello goes out first, whatever the start sends comes after it.
    const snapshotLimit = watch.snapshot ? watch.snapshot_limit : null;
    void Promise.resolve().then(() => this.#start(subscriber, params.since_seq, snapshotLimit));
    const hello = {
      v: 1,
      type: "hello",
      connection_id: attachment.cid,
      client_id: attachment.client,
      user_id: attachment.user,
      collection: params.name,
      filter: watch.filter,
      limits: this.connectionLimits(attachment),
    };
    return [JSON.stringify(hello)];
  }

  protected async onFrame(ws: WebSocket, _attachment: Attachment, frame: BaseClientFrame) {
    this.#rebuild();
    const request = frame as WatcherClientFrame;
    const subscriber = this.#subscribers.get(ws);
    if (!subscriber) throw new HubError("internal", "This connection's subscription was lost; reconnect.");
    switch (request.type) {
      case "snapshot":
        return this.#onSnapshot(subscriber, request);
      case "sync":
        return this.#onSync(subscriber, request.ref);
      default:
        throw new HubError("unknown_type", `Unknown frame type ${JSON.stringify(request.type)}.`);
    }
  }

  protected override onDisconnect(ws: WebSocket): void {
    const subscriber = this.#subscribers.get(ws);
    if (!subscriber) return;
    this.#stream.detach(subscriber);
    subscriber.state = "closed";
    subscriber.run++;
    this.#subscribers.delete(ws);
    this.#releaseFilter(subscriber.filter);
    for (const wake of subscriber.waiters.splice(0)) wake();
  }

  // ===== Frames

  async #onSnapshot(subscriber: Subscriber, frame: SnapshotRequestFrame): Promise<ReplyAndThen> {
    if (subscriber.state === "snapshot") {
      throw new HubError("invalid_request", "A snapshot is already being taken on this connection; wait for it.");
    }
    const result = await this.#snapshot(subscriber, frame.limit ?? DEFAULT_SNAPSHOT_LIMIT, false);
    return { reply: snapshotEnd(frame.ref, result), after: () => this.#stream.join(subscriber, result.seq) };
  }

  async #onSync(subscriber: Subscriber, ref: number): Promise<string> {
    await this.#stream.pump();
    if (subscriber.state !== "live" && subscriber.state !== "closed") {
      const { promise, resolve } = Promise.withResolvers<void>();
      subscriber.waiters.push(resolve);
      const timer = setTimeout(resolve, SYNC_TIMEOUT_MS);
      await promise;
      clearTimeout(timer);
    }
    if (subscriber.state !== "live") {
      throw new HubError("internal", "This connection did not reach the live stream in time; retry.");
    }
    return `{"v":1,"type":"synced","ref":${ref},"seq":${this.#stream.delivered}}`;
  }

  // ===== Subscribers

  /**
   * Starts a connection: with a snapshot (when `snapshotLimit` is set), a resume from `since`, or
   * the live stream from now.
   */
  async #start(subscriber: Subscriber, since: number | null, snapshotLimit: number | null): Promise<void> {
    const run = subscriber.run;
    try {
      if (snapshotLimit !== null) {
        const result = await this.#snapshot(subscriber, snapshotLimit, true);
        this.sendTo(subscriber.ws, snapshotEnd(null, result));
        this.#stream.join(subscriber, result.seq);
        return;
      }
      const head = await readHead(this.env.DB, ...this.#targetOrThrow());
      if (subscriber.run !== run || subscriber.state !== "starting") return;
      if (since !== null && (since > head.seq || since < head.pruned_through)) {
        const reason = since > head.seq ? "reset" : "too_old";
        this.sendTo(subscriber.ws, resyncFrame(reason, since, head.pruned_through, head.seq));
      }
      const resumable = since !== null && since <= head.seq && since >= head.pruned_through;
      this.#stream.join(subscriber, resumable ? since : head.seq);
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
   * @throws {HubError} when the snapshot failed. A requested one leaves the subscriber back on the
   * stream where it was; one taken at connect leaves it `starting`, for the caller to fail.
   */
  async #snapshot(subscriber: Subscriber, limit: number, atConnect: boolean): Promise<SnapshotResult> {
    const previous = subscriber.state;
    this.#stream.detach(subscriber);
    subscriber.state = "snapshot";
    const run = ++subscriber.run;
    const [projectId, collection] = this.#targetOrThrow();
    try {
      const result = await takeSnapshot({
        db: this.env.DB,
        projectId,
        collection,
        filter: subscriber.filter,
        audience: subscriber.audience,
        rules: await this.#rulesReader().read(),
        limit,
        frameItems: this.limits.coalesce_max_items,
        frameBytes: this.limits.coalesce_max_bytes,
        send: (frame) => void this.sendTo(subscriber.ws, frame),
        wanted: () => subscriber.run === run && subscriber.state === "snapshot",
      });
      if (!result) throw new HubError("internal", "The snapshot was abandoned: the connection closed or restarted.");
      return result;
    } catch (error) {
      if (subscriber.run === run && subscriber.state === "snapshot") {
        subscriber.state = "starting";
        // A subscriber that had no position yet starts from now, as if it had asked for nothing.
        if (!atConnect && previous === "starting") void this.#start(subscriber, null, null);
        else if (!atConnect) this.#stream.join(subscriber, subscriber.cursor);
      }
      throw error;
    }
  }

  #subscriberOf(ws: WebSocket, attachment: Attachment, state: WatchState): Subscriber {
    const subscriber: Subscriber = {
      ws,
      filter: this.#filterRef(state.f),
      audience: audienceOf(attachment, state),
      state: "starting",
      cursor: 0,
      run: 0,
      waiters: [],
    };
    this.#subscribers.set(ws, subscriber);
    if (attachment.exp !== null) this.#nextExpiry = Math.min(this.#nextExpiry, attachment.exp * 1000);
    return subscriber;
  }

  /**
   * Closes subscribers whose token expired, before any further change reaches them. The hub checks
   * expiry only when a connection sends a frame, and a watcher's subscribers may send none (the
   * heartbeat never wakes the object), so delivery checks it too: once per expiry, not per change.
   */
  #closeExpired(): void {
    const now = Date.now();
    if (now < this.#nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const ws of [...this.#subscribers.keys()]) {
      const exp = this.attachment(ws)?.exp;
      if (exp === null || exp === undefined) continue;
      if (now < exp * 1000) {
        next = Math.min(next, exp * 1000);
        continue;
      }
      this.sendTo(ws, errorFrame(null, "token_expired", "The token expired; reconnect with a fresh one."));
      this.closeSocket(ws, CLOSE_CODES.token_expired, "token_expired");
    }
    this.#nextExpiry = next;
  }

  /**
   * After a wake-up (or eviction) the subscriptions come back from the attachments. A connection
   * that was live stands at the persisted delivered sequence; one that was between states (its
   * progress lived in memory) is asked to reconnect, and resumes from the last sequence it holds.
   */
  #rebuild(): void {
    if (this.#rebuilt) return;
    this.#rebuilt = true;
    for (const ws of this.sockets()) {
      const attachment = this.attachment(ws);
      const state = attachment ? watchStateOf(attachment) : null;
      // No watch state yet: the connection being accepted right now.
      if (!attachment || !state) continue;
      if (state.l !== 1) {
        this.sendTo(ws, errorFrame(null, "internal", "The watcher restarted; reconnect and resume."));
        this.closeSocket(ws, CLOSE_CODES.going_away, "restarted");
        continue;
      }
      try {
        this.#stream.restore(this.#subscriberOf(ws, attachment, state));
      } catch (error) {
        console.error("CollectionWatcher: a subscription could not be restored", error);
        this.closeSocket(ws, CLOSE_CODES.internal, "internal");
      }
    }
    if (this.#subscribers.size > 0) void this.#armAlarm();
  }

  #markLive(subscriber: Subscriber, live: boolean): void {
    const attachment = this.attachment(subscriber.ws) as WatcherAttachment | null;
    if (!attachment?.w || attachment.w.l === (live ? 1 : 0)) return;
    const next: WatcherAttachment = { ...attachment, w: { ...attachment.w, l: live ? 1 : 0 } };
    this.setAttachment(subscriber.ws, next);
  }

  /** Tells a subscriber why it cannot be served and closes its connection. */
  #fail(subscriber: Subscriber, error: unknown): void {
    if (subscriber.state === "closed") return;
    if (error instanceof HubError) {
      this.sendTo(subscriber.ws, errorFrame(null, error.code, error.message, error.details));
      this.closeSocket(
        subscriber.ws,
        error.code === "forbidden" ? CLOSE_CODES.forbidden : CLOSE_CODES.internal,
        error.code,
      );
      return;
    }
    console.error("CollectionWatcher: a subscriber failed", error);
    this.sendTo(subscriber.ws, errorFrame(null, "internal", "The subscription failed on our side; reconnect."));
    this.closeSocket(subscriber.ws, CLOSE_CODES.internal, "internal");
  }

  /** The collection lost its read rule: only secret keys may watch it now. */
  #closeReaders(): void {
    for (const subscriber of [...this.#subscribers.values()]) {
      if (subscriber.audience.bypass) continue;
      this.#fail(
        subscriber,
        new HubError("forbidden", "The collection has no read rule any more; only secret keys may watch it."),
      );
    }
  }

  #filterRef(text: string | null): FilterRef {
    const key = text ?? "";
    const entry = this.#filters.get(key);
    if (entry) {
      entry.users++;
      return entry.ref;
    }
    const ref: FilterRef = { key, node: text === null ? TRUE : parseExpression(text) };
    this.#filters.set(key, { ref, users: 1 });
    return ref;
  }

  #releaseFilter(ref: FilterRef): void {
    const entry = this.#filters.get(ref.key);
    if (entry && --entry.users === 0) this.#filters.delete(ref.key);
  }

  // ===== Plumbing

  async #armAlarm(): Promise<void> {
    if (this.#alarmChecked) return;
    this.#alarmChecked = true;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + CATCH_UP_INTERVAL_MS);
    }
  }

  #rulesReader(): RulesReader {
    const [projectId, collection] = this.#targetOrThrow();
    this.#rules ??= new RulesReader(this.env.DB, projectId, collection);
    return this.#rules;
  }

  #setTarget(projectId: string, collection: string): void {
    if (this.#target) return;
    this.#target = { projectId, collection };
    this.setMeta("target", JSON.stringify(this.#target));
  }

  #targetOrThrow(): [string, string] {
    if (!this.#target) throw new Error("CollectionWatcher: used before any connection or notification named it.");
    return [this.#target.projectId, this.#target.collection];
  }
}

function parseTarget(text: string | null): Target | null {
  if (!text) return null;
  const value = JSON.parse(text) as Partial<Target>;
  return typeof value.projectId === "string" && typeof value.collection === "string"
    ? { projectId: value.projectId, collection: value.collection }
    : null;
}

function snapshotEnd(ref: number | null, result: SnapshotResult): string {
  return `{"v":1,"type":"snapshot_end","ref":${ref},"seq":${result.seq},"count":${result.count},"truncated":${result.truncated}}`;
}

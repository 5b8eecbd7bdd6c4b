import { ApiError } from "../../core/errors";
import type { ConnectParams } from "../../core/protocol/connect-params";
import {
  DEFAULT_SNAPSHOT_LIMIT,
  WATCHER_CLIENT_FRAME_TYPES,
  WatchConnect,
  WatcherClientFrame,
  type WatcherHelloFrame,
} from "../../core/protocol/watcher";
import type { Attachment } from "../hub/attachment";
import { serializeFrame } from "../hub/frames";
import { type BaseClientFrame, type ReplyAndThen, SocketHub } from "../hub/socket-hub";
import { StartGate } from "../hub/start-gate";
import { type WatcherAttachment, type WatchState, watchStateOf } from "./watcher-attachment";
import { CollectionFeed } from "./watcher-feed";
import { snapshotEndFrame, syncedFrame } from "./watcher-frames";
import { SubscriberLifecycle } from "./watcher-lifecycle";

/**
 * How often the watcher reads the change feed on its own while someone is subscribed, so a change
 * whose notification was lost still arrives (the next notification would bring it too).
 */
export const CATCH_UP_INTERVAL_MS = 30_000;

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
 * latency, never a change. This class is the object's entry points and its storage; the
 * subscribers' life cycle (states, positions, delivery) is watcher-lifecycle.ts, matching is
 * watcher-events.ts and watcher-subscriptions.ts, snapshots watcher-snapshot.ts. Every entry point
 * first passes one start gate, which restores the subscriptions from the sockets' attachments
 * after a wake-up. See docs/live-queries.md.
 */
export class CollectionWatcherObject extends SocketHub {
  protected readonly frameSchema = WatcherClientFrame;
  protected readonly frameTypes: ReadonlySet<string> = new Set(WATCHER_CLIENT_FRAME_TYPES);

  readonly #subscribers: SubscriberLifecycle;
  readonly #started: StartGate;
  #target: Target | null;
  #feed: CollectionFeed | null = null;
  #alarmChecked = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#target = parseTarget(this.meta("target"));
    this.#subscribers = new SubscriberLifecycle(
      {
        feed: () => this.#feedOrThrow(),
        send: (ws, frame) => void this.sendTo(ws, frame),
        close: (ws, code, reason) => this.closeSocket(ws, code, reason),
        saveLive: (ws, live) => this.#saveLive(ws, live),
        saveDelivered: (seq) => this.setMeta("delivered", String(seq)),
        following: () => void this.#armAlarm(),
        frameBounds: () => ({ items: this.limits.coalesce_max_items, bytes: this.limits.coalesce_max_bytes }),
      },
      Number(this.meta("delivered") ?? 0),
    );
    this.#started = new StartGate(ctx, () => this.#restore());
  }

  // ===== Entry points: each passes the start gate first

  override async fetch(request: Request): Promise<Response> {
    await this.#started.ready();
    return super.fetch(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.#started.ready();
    return super.webSocketMessage(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.#started.ready();
    return super.webSocketClose(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.#started.ready();
    return super.webSocketError(ws);
  }

  override async alarm(): Promise<void> {
    await this.#started.ready();
    this.#alarmChecked = false;
    if (this.#subscribers.size === 0) return;
    await this.#subscribers.pump();
    await this.#armAlarm();
  }

  // ===== RPC (called by the Worker)

  /**
   * A write to the collection committed with change sequence `seq` (worker/documents/after-commit.ts).
   * Resolves once it is delivered; the write never waits for this.
   */
  async notify(projectId: string, collection: string, seq: number): Promise<void> {
    await this.#started.ready();
    this.#setTarget(projectId, collection);
    if (seq <= this.#subscribers.delivered) return;
    await this.#subscribers.pump();
  }

  /** Where the watcher stands (for diagnostics and tests). */
  async state(): Promise<ReturnType<SubscriberLifecycle["stats"]>> {
    await this.#started.ready();
    return this.#subscribers.stats();
  }

  // ===== Socket hub hooks

  protected onConnect(ws: WebSocket, attachment: Attachment, params: ConnectParams): string[] {
    const watch = WatchConnect.parse(params.extra ?? {});
    this.#setTarget(params.project_id, params.name);
    const state: WatchState = { f: watch.filter, r: watch.role, c: watch.claims, l: 0 };
    const full: WatcherAttachment = { ...attachment, w: state };
    this.setAttachment(ws, full);
    this.#subscribers.connect(ws, full, state, params.since_seq, watch.snapshot ? watch.snapshot_limit : null);
    const hello = serializeFrame<typeof WatcherHelloFrame>({
      type: "hello",
      connection_id: attachment.cid,
      client_id: attachment.client,
      user_id: attachment.user,
      collection: params.name,
      filter: watch.filter,
      limits: this.connectionLimits(attachment),
    });
    return [hello];
  }

  protected async onFrame(
    ws: WebSocket,
    _attachment: Attachment,
    frame: BaseClientFrame,
  ): Promise<string | ReplyAndThen> {
    const request = frame as WatcherClientFrame;
    switch (request.type) {
      case "snapshot": {
        const limit = request.limit ?? DEFAULT_SNAPSHOT_LIMIT;
        const { result, resume } = await this.#subscribers.requestSnapshot(ws, limit);
        return { reply: snapshotEndFrame(request.ref, result), after: resume };
      }
      case "sync":
        return syncedFrame(request.ref, await this.#subscribers.sync(ws));
      default:
        throw new ApiError("unknown_type", `Unknown frame type ${JSON.stringify(request.type)}.`);
    }
  }

  protected override onDisconnect(ws: WebSocket): void {
    this.#subscribers.disconnect(ws);
  }

  // ===== Start and storage

  /**
   * The start gate's one job: after a wake-up (or eviction) the subscriptions come back from the
   * sockets' attachments, and the catch-up alarm is set again while anyone is subscribed.
   */
  async #restore(): Promise<void> {
    for (const ws of this.sockets()) {
      const attachment = this.attachment(ws);
      const state = attachment ? watchStateOf(attachment) : null;
      // No watch state: a connection turned away before it subscribed (it is closing).
      if (!attachment || !state) continue;
      this.#subscribers.restore(ws, attachment, state);
    }
    if (this.#subscribers.size > 0) await this.#armAlarm();
  }

  #saveLive(ws: WebSocket, live: boolean): void {
    const attachment = this.attachment(ws) as WatcherAttachment | null;
    if (!attachment?.w || attachment.w.l === (live ? 1 : 0)) return;
    const next: WatcherAttachment = { ...attachment, w: { ...attachment.w, l: live ? 1 : 0 } };
    this.setAttachment(ws, next);
  }

  async #armAlarm(): Promise<void> {
    if (this.#alarmChecked) return;
    this.#alarmChecked = true;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + CATCH_UP_INTERVAL_MS);
    }
  }

  #setTarget(projectId: string, collection: string): void {
    if (this.#target) return;
    this.#target = { projectId, collection };
    this.setMeta("target", JSON.stringify(this.#target));
  }

  #feedOrThrow(): CollectionFeed {
    if (!this.#target) throw new Error("CollectionWatcher: used before any connection or notification named it.");
    this.#feed ??= new CollectionFeed(this.env.DB, this.#target.projectId, this.#target.collection);
    return this.#feed;
  }
}

function parseTarget(text: string | null): Target | null {
  if (!text) return null;
  const value = JSON.parse(text) as Partial<Target>;
  return typeof value.projectId === "string" && typeof value.collection === "string"
    ? { projectId: value.projectId, collection: value.collection }
    : null;
}

/**
 * The watcher benchmark's server: the real Flarebase Worker, plus the naive baseline it is measured
 * against, in one local workerd so they share the runtime, the machine and the D1 database.
 *
 * `NaiveWatcher` is what a collection watcher does without any of Flarebase's matching work: on
 * every notification it reads the same change feed from D1, then evaluates every subscriber's
 * filter on every change (with the same in-memory matcher), serializes each subscriber's events
 * for it alone and sends them. No rules, no snapshots, no persisted position, no resume.
 *
 * Writes go through the real REST API either way. The write path notifies the watcher object of
 * the collection after each commit; for collections named `naive…` this fixture hands that
 * notification to the `NaiveWatcher` of the collection instead, so both are fed the same way.
 * Naive subscribers connect to `/naive/<project id>/<collection>?filter=<expression>` (no auth).
 * A write sent with `x-bench-hold-notify: 1` notifies nobody, and `POST /bench/notify/<project
 * id>/<collection>` sends one notification: together they give either watcher a backlog to drain.
 */
import { DurableObject } from "cloudflare:workers";
import { type FilterNode, matches, parseExpression } from "../../core/query";
import { readChanges } from "../../data/documents/outbox";
import app, { ChannelObject, CollectionWatcherObject, RoomObject } from "../../worker/index";

export { ChannelObject, CollectionWatcherObject, RoomObject };

interface BenchEnv extends Env {
  NAIVE_WATCHER: DurableObjectNamespace<NaiveWatcher>;
}

const FEED_PAGE = 100;

export class NaiveWatcher extends DurableObject<BenchEnv> {
  #delivered: number | null = null;
  #target: [string, string] | null = null;
  #filters = new Map<WebSocket, FilterNode>();
  #pumping: Promise<void> | null = null;
  #again = false;

  override async fetch(request: Request): Promise<Response> {
    const [, , projectId = "", collection = ""] = new URL(request.url).pathname.split("/");
    const filter = new URL(request.url).searchParams.get("filter") ?? "true";
    this.#target ??= [projectId, collection];
    // A new subscriber follows from the feed's head.
    const head = await readChanges(this.env.DB, projectId, collection, 0, 1);
    this.#delivered ??= head.pruned ? head.last_seq : head.page.last_seq;
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({ filter });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** The same RPC the write path calls on a CollectionWatcher. */
  async notify(_projectId: string, _collection: string, _seq: number): Promise<void> {
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
      } finally {
        this.#pumping = null;
      }
    })();
    return this.#pumping;
  }

  async #drain(): Promise<void> {
    if (!this.#target || this.#delivered === null) return;
    for (;;) {
      const read = await readChanges(this.env.DB, ...this.#target, this.#delivered, FEED_PAGE);
      if (read.pruned) throw new Error("The bench's change feed was pruned under it; raise its retention.");
      const page = read.page;
      for (const ws of this.ctx.getWebSockets()) {
        const filter = this.#filterOf(ws);
        const items: string[] = [];
        for (const change of page.items) {
          const before = change.old_data !== null && matches(filter, { doc: change.old_data });
          const after = change.data !== null && matches(filter, { doc: change.data });
          if (!before && !after) continue;
          const event =
            change.op === "create" || change.op === "delete"
              ? change.op
              : !before
                ? "enter"
                : !after
                  ? "leave"
                  : "update";
          items.push(
            JSON.stringify({
              seq: change.seq,
              event,
              id: change.id,
              data: after ? change.data : null,
              old_data: before ? change.old_data : null,
              timestamp: Date.parse(change.created_at),
            }),
          );
        }
        if (items.length > 0) ws.send(`{"v":1,"type":"changes","items":[${items.join(",")}]}`);
      }
      this.#delivered = page.items.at(-1)?.seq ?? this.#delivered;
      if (page.next_cursor === null) return;
    }
  }

  /** Parsed once per socket (the least a naive watcher would do), evaluated on every change. */
  #filterOf(ws: WebSocket): FilterNode {
    let filter = this.#filters.get(ws);
    if (!filter) {
      filter = parseExpression((ws.deserializeAttachment() as { filter: string }).filter);
      this.#filters.set(ws, filter);
    }
    return filter;
  }

  override webSocketClose(ws: WebSocket): void {
    this.#filters.delete(ws);
  }
}

const isNaive = (objectName: string) => objectName.slice(objectName.indexOf(":") + 1).startsWith("naive");

/**
 * Collection watchers as the Worker sees them, with `naive…` collections going to NaiveWatcher.
 * With `hold`, notifications are dropped: the writes pile up in the change feed, for a backlog
 * that `POST /bench/notify` then hands to the watcher with one notification.
 */
function watchers(env: BenchEnv, hold: boolean): DurableObjectNamespace {
  const naive = new Set<DurableObjectId>();
  return {
    idFromName(objectName: string) {
      if (!isNaive(objectName)) return env.COLLECTION_WATCHER.idFromName(objectName);
      const id = env.NAIVE_WATCHER.idFromName(objectName);
      naive.add(id);
      return id;
    },
    get(id: DurableObjectId) {
      if (hold) return { notify: async () => {} };
      return naive.has(id) ? env.NAIVE_WATCHER.get(id) : env.COLLECTION_WATCHER.get(id);
    },
  } as unknown as DurableObjectNamespace;
}

/** One notification, as the write path sends it, that the feed moved past everything delivered. */
async function notify(env: BenchEnv, projectId: string, collection: string): Promise<Response> {
  const objectName = `${projectId}:${collection}`;
  const seq = Number.MAX_SAFE_INTEGER;
  if (isNaive(objectName))
    await env.NAIVE_WATCHER.get(env.NAIVE_WATCHER.idFromName(objectName)).notify(projectId, collection, seq);
  else
    await env.COLLECTION_WATCHER.get(env.COLLECTION_WATCHER.idFromName(objectName)).notify(projectId, collection, seq);
  return Response.json({ notified: true });
}

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/naive/")) {
      const [, , projectId, collection] = pathname.split("/");
      return env.NAIVE_WATCHER.get(env.NAIVE_WATCHER.idFromName(`${projectId}:${collection}`)).fetch(request);
    }
    if (pathname.startsWith("/bench/notify/")) {
      const [, , , projectId = "", collection = ""] = pathname.split("/");
      return notify(env, projectId, collection);
    }
    const hold = request.headers.get("x-bench-hold-notify") === "1";
    return app.fetch(request, { ...env, COLLECTION_WATCHER: watchers(env, hold) }, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;

import { exports } from "cloudflare:workers";
import { type WatchEvent, WatcherServerFrame } from "../../core/protocol/watcher";
import { type ConnectOptions, TestSocket } from "./channel-helpers";
import { as, expectStatus } from "./documents-helpers";
import type { TestProject } from "./helpers";

export type WatcherSocket = TestSocket<WatcherServerFrame>;

/** A unique collection name per test (collection names start with a letter). */
export function uniqueCollection(prefix = "w"): string {
  return `${prefix}${crypto.randomUUID().slice(0, 8)}`;
}

/** The CollectionWatcherObject stub for a project's collection. */
export function watcherStub(env: Env, projectId: string, collection: string) {
  return env.COLLECTION_WATCHER.get(env.COLLECTION_WATCHER.idFromName(`${projectId}:${collection}`));
}

/** Credentials for a socket: a key or a user token, offered as a subprotocol (a secret key as a header). */
export function credentials(key: string): ConnectOptions {
  if (key.startsWith("sk_")) return { headers: { "X-API-Key": key }, protocols: ["flarebase.v1"] };
  const kind = key.startsWith("pk_") ? "key" : "token";
  return { protocols: ["flarebase.v1", `flarebase.${kind}.${key}`] };
}

/** Opens a watcher socket through the Worker (query: filter parameters, since_seq, snapshot, limit). */
export async function connectWatcher(
  collection: string,
  key: string,
  query: Record<string, string | number> = {},
): Promise<WatcherSocket> {
  const options = credentials(key);
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) search.set(name, String(value));
  const headers = new Headers({ Upgrade: "websocket", ...options.headers });
  if (options.protocols) headers.set("Sec-WebSocket-Protocol", options.protocols.join(", "));
  const qs = search.size > 0 ? `?${search}` : "";
  const response = await exports.default.fetch(
    `https://flarebase.test/v1/realtime/collections/${encodeURIComponent(collection)}${qs}`,
    { headers },
  );
  if (!response.webSocket) throw new Error(`Upgrade refused: ${response.status} ${await response.text()}`);
  return new TestSocket<WatcherServerFrame>(response.webSocket, response, WatcherServerFrame);
}

/** Connects and waits until the subscription follows the live stream (its first `synced`). */
export async function watch(collection: string, key: string, query: Record<string, string | number> = {}) {
  const socket = await connectWatcher(collection, key, query);
  const hello = await socket.next("hello");
  const synced = await socket.next("synced");
  return { socket, hello, synced };
}

/** Takes the next `count` events, in order, from `changes` frames. */
export async function events(socket: WatcherSocket, count: number, timeoutMs?: number): Promise<WatchEvent[]> {
  const items: WatchEvent[] = [];
  while (items.length < count) items.push(...(await socket.next("changes", timeoutMs)).items);
  if (items.length > count) throw new Error(`Expected ${count} events, got ${items.length}: ${JSON.stringify(items)}`);
  return items;
}

/** The events in the frames received so far (without waiting); they stay queued. */
export function queuedEvents(socket: WatcherSocket): WatchEvent[] {
  const items: WatchEvent[] = [];
  for (const frame of [...socket.queued]) if (frame.type === "changes") items.push(...frame.items);
  return items;
}

/** Sends `sync` and returns the events that arrived before its reply, and the reply's seq. */
export async function syncEvents(socket: WatcherSocket, ref: number): Promise<{ items: WatchEvent[]; seq: number }> {
  socket.send({ v: 1, type: "sync", ref });
  const items: WatchEvent[] = [];
  for (;;) {
    const frame = await socket.next();
    if (frame.type === "changes") items.push(...frame.items);
    if (frame.type === "synced" && frame.ref === ref) return { items, seq: frame.seq };
  }
}

/** Reads `snapshot` frames up to the `snapshot_end` (past the hello), applying them in order. */
export async function readSnapshot(socket: WatcherSocket) {
  const documents = new Map<string, Record<string, unknown>>();
  for (;;) {
    const frame = await socket.next();
    if (frame.type === "hello") continue;
    if (frame.type === "snapshot") {
      for (const item of frame.items) documents.set(item.id, item.data);
      for (const id of frame.removed ?? []) documents.delete(id);
    } else if (frame.type === "snapshot_end") {
      return { documents, end: frame };
    } else {
      throw new Error(`Expected snapshot frames, got ${JSON.stringify(frame)}`);
    }
  }
}

/** Applies events to a live set, as a client keeping the matching documents would. */
export function applyEvents(set: Map<string, Record<string, unknown>>, items: readonly WatchEvent[]): void {
  for (const item of items) {
    if (item.event === "delete" || item.event === "leave") set.delete(item.id);
    else set.set(item.id, item.data as Record<string, unknown>);
  }
}

/** Document writes through the REST API with one key. */
export function writer(project: TestProject, collection: string, key = project.keys.secret) {
  const client = as(key);
  const base = `/v1/collections/${collection}/documents`;
  return {
    create: (id: string, data: Record<string, unknown>) => expectStatus(client.post(base, { id, data }), 201),
    update: (id: string, data: Record<string, unknown>) => expectStatus(client.patch(`${base}/${id}`, { data }), 200),
    delete: (id: string) => expectStatus(client.delete(`${base}/${id}`), 200),
  };
}

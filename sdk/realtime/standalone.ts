import type { WebSocketConstructor } from "../client.js";
import type { ReconnectOptions } from "./policy.js";
import type { RealtimeCore } from "./socket.js";

/** How a standalone realtime helper (built without `createClient`) reaches the server. */
export interface StandaloneOptions {
  /** The server's URL; defaults to the page's origin in a browser. */
  url?: string;
  /** The project's public key (a secret key only on a server). */
  key?: string;
  /** A user token; sent instead of the key when both are given. */
  token?: string;
  WebSocket?: WebSocketConstructor;
  reconnect?: ReconnectOptions;
}

/**
 * The realtime core of a helper made from a key (the Cocobase SDK's style: `new RoomChat(id, "pk_…", …)`)
 * or from {@link StandaloneOptions}. `usage` is shown when there is no URL to connect to.
 *
 * @throws {TypeError} without a URL outside a browser page.
 */
export function standaloneCore(keyOrOptions: string | StandaloneOptions, usage: string): RealtimeCore {
  const options = typeof keyOrOptions === "string" ? { key: keyOrOptions } : keyOrOptions;
  const url = options.url ?? (globalThis as { location?: { origin?: string } }).location?.origin;
  if (!url) throw new TypeError(`Flarebase: pass the server's URL: ${usage}.`);
  const credentials = { token: options.token ?? null, key: options.key ?? null };
  return {
    url: url.replace(/\/+$/, ""),
    WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
    credentials: async () => credentials,
  };
}

// Helpers for the realtime e2e tests: WebSockets the test can cut or deafen, and waiting on what
// SDK listeners record. No sleeps: every wait is on an event, bounded by a timeout.
import { afterEach } from "vitest";
import WebSocket from "ws";
import type { WebSocketConstructor } from "../../sdk/index";
import { parseServerFrame, serverFrameSchemaFor } from "../strict-frames";

/**
 * Server frames that did not parse strictly against their object's schema (test/strict-frames.ts)
 * during the current test: the test fails on the first one when it ends, so a frame that drifts
 * from the contract fails the test that received it.
 */
const frameViolations: Error[] = [];
afterEach(() => {
  const found = frameViolations.splice(0);
  if (found.length > 0) throw found[0];
});

/** Frames the SDK's socket receives, as it sees them (`data` is the text of the frame). */
interface InboundEvent {
  data: string;
}

/**
 * A WebSocket with the small surface the SDK uses (`onmessage`, `onclose`, `onerror`, `send`,
 * `close`), over a real `ws` socket, that parses every frame it receives strictly (see
 * `frameViolations`) and that a test can act on from outside:
 * - `cut()` drops the TCP connection with no close frame (`terminate()`), as when a network dies;
 * - `drop` discards inbound frames it matches before the SDK sees them (e.g. acks, to make a
 *   publish look unanswered although the server stored it).
 */
export class TestSocket {
  onmessage: ((event: InboundEvent) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  drop: ((frame: { type?: string; ref?: number }) => boolean) | null = null;
  readonly #ws: WebSocket;

  constructor(url: string | URL, protocols: string | string[] | undefined, registry: Set<TestSocket>) {
    this.#ws = new WebSocket(url, protocols);
    registry.add(this);
    const schema = serverFrameSchemaFor(url);
    this.#ws.on("message", (data) => {
      const text = String(data);
      try {
        parseServerFrame(schema, text);
      } catch (error) {
        frameViolations.push(error as Error);
      }
      if (this.drop?.(JSON.parse(text) as { type?: string; ref?: number })) return;
      this.onmessage?.({ data: text });
    });
    this.#ws.on("close", (code, reason) => {
      registry.delete(this);
      this.onclose?.({ code, reason: String(reason) });
    });
    this.#ws.on("error", (error) => this.onerror?.(error));
  }

  get readyState(): number {
    return this.#ws.readyState;
  }

  send(data: string): void {
    this.#ws.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }

  /** Drops the connection abruptly: no close frame, the server sees the TCP connection die. */
  cut(): void {
    this.#ws.terminate();
  }
}

/** A WebSocket class for `createClient({ WebSocket })` whose live sockets the test can reach (and whose frames are parsed strictly). */
export function cuttableWebSocket(): { WebSocket: WebSocketConstructor; live: Set<TestSocket>; cutAll(): number } {
  const live = new Set<TestSocket>();
  class Tracked extends TestSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, live);
    }
  }
  return {
    WebSocket: Tracked as unknown as WebSocketConstructor,
    live,
    cutAll() {
      const sockets = [...live];
      for (const socket of sockets) socket.cut();
      return sockets.length;
    },
  };
}

/**
 * Collects what a listener hands over and lets a test wait until the collection satisfies a
 * condition. Pass `recorder.push` as the listener.
 */
export class Recorder<T> {
  readonly items: T[] = [];
  #waiters = new Set<() => void>();

  readonly push = (item: T): void => {
    this.items.push(item);
    for (const waiter of [...this.#waiters]) waiter();
  };

  /** Resolves with the items once `check(items)` holds; rejects after `timeoutMs`. */
  until(check: (items: T[]) => boolean, what: string, timeoutMs = 10_000): Promise<T[]> {
    return new Promise((resolve, reject) => {
      if (check(this.items)) return resolve(this.items);
      const waiter = () => {
        if (!check(this.items)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(this.items);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (have ${this.items.length} items)`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Resolves once at least `count` items arrived. */
  count(count: number, timeoutMs = 10_000): Promise<T[]> {
    return this.until((items) => items.length >= count, `${count} items`, timeoutMs);
  }
}

/** A unique channel name per test, so tests never see each other's messages. */
export const uniqueChannel = (prefix = "e2e"): string => `${prefix}:${crypto.randomUUID().slice(0, 8)}`;

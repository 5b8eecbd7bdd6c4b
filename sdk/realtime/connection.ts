import type { FlarebaseError } from "../errors.js";
import { Emitter, type Listener, type Unsubscribe } from "./emitter.js";
import type { SocketState, SocketStateChange } from "./socket.js";

/** A state change of one channel's connection. */
export interface ConnectionEvent {
  /** The channel whose socket changed. */
  channel: string;
  state: SocketState;
  previous: SocketState;
  /** Why it dropped or failed (the server's error or the close), else null. */
  error: FlarebaseError | null;
  /** For `disconnected`: milliseconds until the next attempt. */
  retry_in_ms: number | null;
}

/**
 * `client.connection`: the state of the realtime connections (one socket per channel) as one
 * thing to watch. `state` is `connected` when every open channel is, `connecting` while any is
 * starting, `disconnected` while any waits to retry, `failed` when one gave up, `idle` with no
 * channel, `closed` after `client.realtime.close()`.
 */
export class Connection {
  #all = new Emitter<ConnectionEvent>();
  #byState = new Map<SocketState, Emitter<ConnectionEvent>>();
  #states = new Map<string, SocketState>();
  #closed = false;

  get state(): SocketState {
    if (this.#closed) return "closed";
    const states = [...this.#states.values()].filter((state) => state !== "closed");
    if (states.length === 0) return "idle";
    for (const state of ["failed", "disconnected", "connecting"] as const) if (states.includes(state)) return state;
    return states.every((state) => state === "idle") ? "idle" : "connected";
  }

  /**
   * Listens to every connection event, or to one state. Returns a function that removes it.
   *
   * @example
   * client.connection.on("disconnected", (event) => showOffline(event.retry_in_ms));
   */
  on(listener: Listener<ConnectionEvent>): Unsubscribe;
  on(state: SocketState, listener: Listener<ConnectionEvent>): Unsubscribe;
  on(stateOrListener: SocketState | Listener<ConnectionEvent>, listener?: Listener<ConnectionEvent>): Unsubscribe {
    if (typeof stateOrListener === "function") return this.#all.on(stateOrListener);
    let emitter = this.#byState.get(stateOrListener);
    if (!emitter) {
      emitter = new Emitter();
      this.#byState.set(stateOrListener, emitter);
    }
    return emitter.on(listener as Listener<ConnectionEvent>);
  }

  /**
   * Resolves with the next event (of `state`, when given).
   *
   * @example
   * await client.connection.once("connected");
   */
  once(state?: SocketState): Promise<ConnectionEvent> {
    return new Promise((resolve) => {
      const off = state ? this.on(state, done) : this.on(done);
      function done(event: ConnectionEvent) {
        off();
        resolve(event);
      }
    });
  }

  /** Removes every listener. */
  off(): void {
    this.#all.clear();
    this.#byState.clear();
  }

  /** @internal A channel's socket changed state. */
  report(channel: string, change: SocketStateChange): void {
    if (change.state === "closed") this.#states.delete(channel);
    else this.#states.set(channel, change.state);
    const event: ConnectionEvent = {
      channel,
      state: change.state,
      previous: change.previous,
      error: change.error,
      retry_in_ms: change.retryInMs,
    };
    this.#all.emit(event);
    this.#byState.get(change.state)?.emit(event);
  }

  /** @internal The whole realtime client was closed. */
  markClosed(): void {
    this.#closed = true;
  }
}

import type { PresenceEventFrame, PresenceMember } from "../../core/protocol/channel.js";
import { Emitter, type Listener, type Unsubscribe } from "./emitter.js";
import type { RealtimeSocket } from "./socket.js";

export type { PresenceMember };

/** A presence change: a client entered, updated its data, or left (with its last data). */
export interface PresenceEvent {
  action: "enter" | "update" | "leave";
  member: PresenceMember;
}

/**
 * `channel.presence`: who is on the channel. One member per client id, however many tabs or
 * connections it has. The member list is kept up to date from the server's snapshot (sent on
 * every connect) and its events; after a reconnect the SDK re-enters with the last data you set
 * and reports the differences as events, so listeners never miss a change.
 */
export class ChannelPresence {
  #members = new Map<string, PresenceMember>();
  #all = new Emitter<PresenceEvent>();
  #byAction = new Map<PresenceEvent["action"], Emitter<PresenceEvent>>();
  /** The presence this client wants (set by enter/update, cleared by leave), re-applied on reconnect. */
  #wanted: { data: unknown } | null = null;
  #inFlight = 0;

  constructor(private readonly socket: RealtimeSocket) {}

  /**
   * Enters this client with optional `data` (or replaces its data). Resolves when the server
   * acknowledged it.
   *
   * @example
   * await channel.presence.enter({ name: "Alice" });
   *
   * @throws {FlarebaseError} `forbidden` without the presence capability, `frame_too_large` for
   * data over the server's presence limit (2 KiB by default).
   */
  enter(data: unknown = null): Promise<void> {
    this.#wanted = { data };
    return this.#send("enter", data);
  }

  /** Replaces this client's data (entering if it was not present). */
  update(data: unknown): Promise<void> {
    this.#wanted = { data };
    return this.#send("update", data);
  }

  /** Leaves. Closing the channel leaves too. */
  leave(): Promise<void> {
    this.#wanted = null;
    return this.#send("leave", undefined);
  }

  /** The members as last known (kept current by events; no request). */
  get members(): PresenceMember[] {
    return [...this.#members.values()];
  }

  /** Asks the server for the current members (and refreshes the local list). */
  async get(): Promise<PresenceMember[]> {
    const reply = await this.socket.request({ type: "presence_get" });
    if (reply.type !== "presence_snapshot") return this.members;
    this.sync(reply.members);
    return reply.members;
  }

  /**
   * Listens to every presence event, or to one action. Returns a function that removes the listener.
   *
   * @example
   * const off = channel.presence.on("enter", ({ member }) => console.log(member.client_id, "joined"));
   */
  on(listener: Listener<PresenceEvent>): Unsubscribe;
  on(action: PresenceEvent["action"], listener: Listener<PresenceEvent>): Unsubscribe;
  on(
    actionOrListener: PresenceEvent["action"] | Listener<PresenceEvent>,
    listener?: Listener<PresenceEvent>,
  ): Unsubscribe {
    this.socket.open();
    if (typeof actionOrListener === "function") return this.#all.on(actionOrListener);
    let emitter = this.#byAction.get(actionOrListener);
    if (!emitter) {
      emitter = new Emitter();
      this.#byAction.set(actionOrListener, emitter);
    }
    return emitter.on(listener as Listener<PresenceEvent>);
  }

  // ===== Called by the channel

  /** Replaces the member list with a snapshot, emitting the differences as events. */
  sync(members: readonly PresenceMember[]): void {
    const next = new Map(members.map((member) => [member.client_id, member]));
    for (const [clientId, member] of this.#members) {
      if (!next.has(clientId)) this.#emit({ action: "leave", member });
    }
    for (const [clientId, member] of next) {
      const known = this.#members.get(clientId);
      if (!known) this.#emit({ action: "enter", member });
      else if (JSON.stringify(known.data) !== JSON.stringify(member.data)) this.#emit({ action: "update", member });
    }
    this.#members = next;
  }

  /** Applies a live event. */
  apply(frame: PresenceEventFrame): void {
    if (frame.action === "leave") this.#members.delete(frame.member.client_id);
    else this.#members.set(frame.member.client_id, frame.member);
    this.#emit({ action: frame.action, member: frame.member });
  }

  /** After a reconnect: enter again with the wanted data, unless a presence request is already queued. */
  restore(): void {
    if (this.#wanted && this.#inFlight === 0) void this.#send("enter", this.#wanted.data).catch(() => {});
  }

  async #send(action: "enter" | "update" | "leave", data: unknown): Promise<void> {
    this.#inFlight++;
    try {
      await this.socket.request({ type: "presence", action, data });
    } finally {
      this.#inFlight--;
    }
  }

  #emit(event: PresenceEvent): void {
    this.#all.emit(event);
    this.#byAction.get(event.action)?.emit(event);
  }
}

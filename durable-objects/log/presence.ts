import type { PresenceMember } from "../../core/protocol/channel";
import type { Attachment, PresenceState } from "../hub/attachment";
import { type Json, presenceEventFrame } from "../hub/frames";

/** What presence needs from the object it lives in. */
export interface PresenceHost {
  /** Every socket of the object that has not been dropped yet, open or closing. */
  sockets(): Iterable<WebSocket>;
  attachment(ws: WebSocket): Attachment | null;
  setAttachment(ws: WebSocket, attachment: Attachment): void;
  /** Sends a frame to every connection, after any messages already queued (order is kept). */
  broadcast(frame: string): void;
  /**
   * Builds the event frame (`data` is serialized; `since` is when the member entered or last
   * updated, which for a `leave` is before `timestamp`). Defaults to the channel's `presence`
   * frame; a room names its events after participants.
   */
  eventFrame?(action: PresenceAction, clientId: string, data: Json<unknown>, timestamp: number, since: number): string;
}

export type PresenceAction = "enter" | "update" | "leave";

interface Member {
  /** `data`, serialized. */
  data: string;
  timestamp: number;
  /** The connections this client entered from; the member leaves when the last one does. */
  connections: Set<WebSocket>;
}

/**
 * Presence: one member per client id, entered from one or more of its connections. The source of
 * truth is each connection's attachment (`pres`), which survives hibernation and eviction; the
 * member index here is only a cache, rebuilt from the attachments after a wake-up.
 *
 * Events go to every connection, the acting one included: `enter` when a client id appears,
 * `update` when its data changes (re-entering with the same data, as a reconnecting client does,
 * sends nothing), `leave` when its last entered connection leaves or closes.
 */
export class PresenceSet {
  #members: Map<string, Member> | null = null;

  constructor(private readonly host: PresenceHost) {}

  /** The current members (parsed data), in no particular order. */
  members(): PresenceMember[] {
    return [...this.#index()].map(([clientId, member]) => toMember(clientId, member.data, member.timestamp));
  }

  get size(): number {
    return this.#index().size;
  }

  /** When `clientId` entered or last updated, or null when it is not present. */
  timestampOf(clientId: string): number | null {
    return this.#index().get(clientId)?.timestamp ?? null;
  }

  /**
   * Enters or updates `ws`'s client with `data` (serialized). An update without an enter enters.
   * Returns the event sent, or null when nothing changed.
   */
  set(ws: WebSocket, attachment: Attachment, data: string, now: number): "enter" | "update" | null {
    const members = this.#index();
    this.host.setAttachment(ws, { ...attachment, pres: { d: data, t: now } });
    const member = members.get(attachment.client);
    if (!member) {
      members.set(attachment.client, { data, timestamp: now, connections: new Set([ws]) });
      this.#emit("enter", attachment.client, data, now, now);
      return "enter";
    }
    member.connections.add(ws);
    if (member.data === data) return null;
    member.data = data;
    member.timestamp = now;
    this.#emit("update", attachment.client, data, now, now);
    return "update";
  }

  /** `ws` leaves (an explicit leave: its attachment is cleared). Returns whether the member left. */
  leave(ws: WebSocket, attachment: Attachment, now: number): boolean {
    if (attachment.pres === null) return false;
    this.host.setAttachment(ws, { ...attachment, pres: null });
    return this.#remove(ws, attachment.client, attachment.pres, now);
  }

  /** `ws` is gone (closed, errored, reaped): it leaves without touching its attachment. */
  drop(ws: WebSocket, attachment: Attachment, now: number): boolean {
    if (attachment.pres === null) return false;
    return this.#remove(ws, attachment.client, attachment.pres, now);
  }

  #remove(ws: WebSocket, clientId: string, pres: PresenceState, now: number): boolean {
    const members = this.#index();
    const member = members.get(clientId);
    if (member) {
      member.connections.delete(ws);
      if (member.connections.size > 0) return false;
      members.delete(clientId);
      this.#emit("leave", clientId, member.data, now, member.timestamp);
      return true;
    }
    // Not indexed: the index was rebuilt after a wake-up caused by this very close, and the
    // runtime no longer lists a closed socket. No other connection holds the member either (it
    // would have been indexed), so the client leaves now, with this connection's last data.
    this.#emit("leave", clientId, pres.d, now, pres.t);
    return true;
  }

  #emit(action: PresenceAction, clientId: string, data: string, timestamp: number, since: number): void {
    // Presence data is stored serialized (in the attachment): spliced into the event as it is.
    const json = data as Json<unknown>;
    this.host.broadcast(
      this.host.eventFrame
        ? this.host.eventFrame(action, clientId, json, timestamp, since)
        : presenceEventFrame(action, clientId, json, timestamp),
    );
  }

  #index(): Map<string, Member> {
    if (this.#members) return this.#members;
    // After a wake-up: rebuild from the attachments. Several connections of one client may hold
    // different data (each wrote its own); the most recent write is the member's data.
    const members = new Map<string, Member>();
    for (const ws of this.host.sockets()) {
      const attachment = this.host.attachment(ws);
      const pres = attachment?.pres;
      if (!attachment || !pres) continue;
      const member = members.get(attachment.client);
      if (!member) {
        members.set(attachment.client, { data: pres.d, timestamp: pres.t, connections: new Set([ws]) });
        continue;
      }
      member.connections.add(ws);
      if (pres.t > member.timestamp) {
        member.data = pres.d;
        member.timestamp = pres.t;
      }
    }
    this.#members = members;
    return members;
  }
}

function toMember(clientId: string, data: string, timestamp: number): PresenceMember {
  return { client_id: clientId, data: JSON.parse(data) as unknown, timestamp };
}

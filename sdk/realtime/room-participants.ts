import type { Participant, ParticipantFrame } from "../../core/protocol/room.js";

/** A participant change as the room's listeners hear it. */
export type ParticipantChange = { action: ParticipantFrame["action"]; participant: Participant };

/**
 * Who is in a room, by user id (a user with several tabs is one participant). Kept from the
 * hello's list and the room's `participant` events; after a reconnect the new list is compared
 * with the known one, and the differences are reported as the events a listener missed.
 */
export class RoomParticipants {
  #byUser = new Map<string, Participant>();

  get list(): Participant[] {
    return [...this.#byUser.values()];
  }

  /** Replaces the list with a snapshot; returns what changed (nothing on the first snapshot). */
  sync(participants: readonly Participant[], first: boolean): ParticipantChange[] {
    const next = new Map(participants.map((participant) => [participant.user_id, participant]));
    const changes: ParticipantChange[] = [];
    if (!first) {
      for (const [userId, participant] of this.#byUser) {
        if (!next.has(userId)) changes.push({ action: "left", participant });
      }
      for (const [userId, participant] of next) {
        const known = this.#byUser.get(userId);
        if (!known) changes.push({ action: "joined", participant });
        else if (JSON.stringify(known) !== JSON.stringify(participant))
          changes.push({ action: "updated", participant });
      }
    }
    this.#byUser = next;
    return changes;
  }

  /** Applies a live event. */
  apply(frame: ParticipantFrame): ParticipantChange {
    if (frame.action === "left") this.#byUser.delete(frame.participant.user_id);
    else this.#byUser.set(frame.participant.user_id, frame.participant);
    return { action: frame.action, participant: frame.participant };
  }
}

import type {
  DeltaFrame,
  ParticipantFrame,
  RoomAckFrame,
  RoomHelloFrame,
  RoomItem,
  StateFrame,
} from "../../core/protocol/room";
import type { JsonObject } from "../../core/protocol/room-paths";
import { type FrameFields, type Json, jsonArray, mergedJson, serializeFrame, splicedFrame } from "../hub/frames";
import type { PresenceAction } from "../log/presence";

/**
 * A room's own server frames (docs/rooms.md), built from their schemas in core/protocol/room.ts
 * (see hub/frames.ts). What a room stores serialized (history, state, participant data) is
 * spliced in as it is.
 */

/** What a participant's presence data holds, serialized: `{"user_name":…,"metadata":…}`. */
export interface ParticipantData {
  user_name: string;
  metadata: Record<string, unknown>;
}

/** The `hello` of a joined connection; `history` (oldest first) and `state` are stored serialized. */
export function roomHelloFrame(
  fields: Omit<FrameFields<typeof RoomHelloFrame>, "type" | "history" | "state">,
  history: readonly Json<RoomItem>[],
  state: Json<JsonObject>,
): string {
  return splicedFrame<typeof RoomHelloFrame, "history" | "state">(
    { type: "hello", ...fields },
    { history: jsonArray(history), state },
  );
}

/** The reply to `state_get`. */
export function stateFrame(ref: number, state: Json<JsonObject>, version: number): string {
  return splicedFrame<typeof StateFrame, "state">({ type: "state", ref, version }, { state });
}

/** The state moved by one version. */
export function deltaFrame(fields: Omit<FrameFields<typeof DeltaFrame>, "type">): string {
  return serializeFrame<typeof DeltaFrame>({ type: "delta", ...fields });
}

/** A room's `ack`: `ref` alone, or with what the request did. */
export function roomAckFrame(ref: number, outcome: Omit<FrameFields<typeof RoomAckFrame>, "type" | "ref"> = {}) {
  return serializeFrame<typeof RoomAckFrame>({ type: "ack", ref, ...outcome });
}

const PARTICIPANT_ACTIONS = { enter: "joined", update: "updated", leave: "left" } as const satisfies Record<
  PresenceAction,
  ParticipantFrame["action"]
>;

/**
 * A participant event from a presence change. `data` is the participant's presence data, already
 * serialized: the participant is built around it. `since` is when they joined (for a `leave`).
 */
export function participantFrame(
  action: PresenceAction,
  clientId: string,
  data: Json<unknown>,
  timestamp: number,
  since: number,
): string {
  const participant = mergedJson<ParticipantFrame["participant"], ParticipantData>(
    { user_id: clientId, joined_at: action === "leave" ? since : timestamp },
    data as Json<ParticipantData>,
  );
  return splicedFrame<typeof ParticipantFrame, "participant">(
    { type: "participant", action: PARTICIPANT_ACTIONS[action] },
    { participant },
  );
}

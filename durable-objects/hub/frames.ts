import type { z } from "zod";
import { ApiError, type ErrorCode } from "../../core/errors";
import type {
  AckFrame,
  ErrorFrame,
  HistoryPageFrame,
  Message,
  MessagesFrame,
  PongFrame,
  PresenceEventFrame,
  PresenceMember,
} from "../../core/protocol/channel";
import { FRAME_PREFIX, PROTOCOL_VERSION, SUBPROTOCOL } from "../../core/protocol/envelope";
import type { RoomItem } from "../../core/protocol/room";

/**
 * Server frames, built from their schemas. Every builder's fields are checked against the zod
 * schema of its frame (core/protocol), and a frame is serialized once, however many sockets get
 * it. Parts that are stored serialized (messages, presence data, a room's state) are typed
 * {@link Json} and spliced in as they are, never parsed and serialized again.
 */

declare const jsonOf: unique symbol;

/** JSON text of a value of type `T`: serialized once, spliced into frames as it is. */
export type Json<T> = string & { readonly [jsonOf]: T };

/** Serializes a value, keeping its type. */
export function toJson<T>(value: T): Json<T> {
  return JSON.stringify(value) as Json<T>;
}

/** A JSON array from serialized items. */
export function jsonArray<T>(items: readonly Json<T>[]): Json<T[]> {
  return `[${items.join(",")}]` as Json<T[]>;
}

/** The fields of a frame as its schema `S` takes them, without the envelope's `v`. */
export type FrameFields<S extends z.ZodType> = Omit<z.input<S>, "v">;

/**
 * Serializes a frame of schema `S`: the envelope's `v`, then `fields` in the order written (put
 * `type` first).
 *
 * @example
 * serializeFrame<typeof PongFrame>({ type: "pong", ref: 3 }); // '{"v":1,"type":"pong","ref":3}'
 */
export function serializeFrame<S extends z.ZodType>(fields: FrameFields<S>): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...fields });
}

/**
 * Serializes an object whose fields `K` are already serialized: `fields` first, then each of
 * `parts` spliced in, in order.
 */
export function splicedJson<T, K extends keyof T & string>(
  fields: Omit<T, K>,
  parts: { [P in K]: Json<T[P]> },
): Json<T> {
  let tail = "";
  for (const key in parts) tail += `,${JSON.stringify(key)}:${parts[key]}`;
  const head = JSON.stringify(fields);
  return (head === "{}" ? `{${tail.slice(1)}}` : `${head.slice(0, -1)}${tail}}`) as Json<T>;
}

/**
 * `fields` and the fields of the serialized object `rest`, as one object (for a stored object
 * that becomes part of a bigger one, such as a participant's name and metadata).
 */
export function mergedJson<T extends object, R extends Partial<T>>(fields: Omit<T, keyof R>, rest: Json<R>): Json<T> {
  const head = JSON.stringify(fields);
  if (rest === "{}") return head as Json<T>;
  return (head === "{}" ? rest : `${head.slice(0, -1)},${rest.slice(1)}`) as string as Json<T>;
}

/**
 * A frame of schema `S` whose fields `K` are already serialized (see {@link splicedJson}).
 *
 * @example
 * splicedFrame<typeof StateFrame, "state">({ type: "state", ref, version }, { state: stateJson });
 */
export function splicedFrame<S extends z.ZodType, K extends keyof z.input<S> & string>(
  fields: Omit<FrameFields<S>, K>,
  parts: { [P in K]: Json<z.input<S>[P]> },
): string {
  const envelope = { v: PROTOCOL_VERSION, ...fields } as unknown as Omit<z.input<S>, K>;
  return splicedJson<z.input<S>, K>(envelope, parts);
}

/** What a `messages` frame delivers: a channel's messages, or a room's messages and actions. */
export type DeliveredItem = Message | RoomItem;

/** An `error` frame for `error`; `ref` is the request it answers, or null. */
export function errorFrameOf(ref: number | null, error: ApiError): string {
  return serializeFrame<typeof ErrorFrame>({
    type: "error",
    ref,
    code: error.code,
    message: error.message,
    details: error.details,
  });
}

/** An `error` frame. */
export function errorFrame(ref: number | null, code: ErrorCode, message: string, details?: unknown): string {
  return serializeFrame<typeof ErrorFrame>({ type: "error", ref, code, message, details });
}

/** The reply to a ping with a `ref` (the heartbeat's reply is the runtime's constant). */
export function pongFrame(ref: number): string {
  return serializeFrame<typeof PongFrame>({ type: "pong", ref });
}

/** An `ack`: `ref` alone, or with a publish's outcome. */
export function ackFrame(ref: number, outcome: Omit<FrameFields<typeof AckFrame>, "type" | "ref"> = {}): string {
  return serializeFrame<typeof AckFrame>({ type: "ack", ref, ...outcome });
}

const MESSAGES_HEAD = `${FRAME_PREFIX}${JSON.stringify("messages" satisfies MessagesFrame["type"])},"items":[`;

/**
 * A `messages` frame from serialized items: the hot path of fan-out, so a plain concatenation of a
 * constant head and the items.
 */
export function messagesFrame(items: readonly Json<DeliveredItem>[]): string {
  return `${MESSAGES_HEAD}${items.join(",")}]}`;
}

/**
 * Splits serialized items into frames of at most `maxItems` items and about `maxBytes` characters
 * each (a single bigger item still gets its own frame), each built by `build`.
 */
export function splitFrames<T extends string>(
  items: readonly T[],
  maxItems: number,
  maxBytes: number,
  build: (batch: readonly T[]) => string,
): string[] {
  const frames: string[] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (batch.length > 0 && (batch.length >= maxItems || bytes + item.length > maxBytes)) {
      frames.push(build(batch));
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += item.length;
  }
  if (batch.length > 0) frames.push(build(batch));
  return frames;
}

/** Serialized messages as `messages` frames (see {@link splitFrames}). */
export function messagesFrames(items: readonly Json<DeliveredItem>[], maxItems: number, maxBytes: number): string[] {
  return splitFrames(items, maxItems, maxBytes, messagesFrame);
}

/** The reply to `history`: a page of stored messages, newest first. */
export function historyPageFrame(
  ref: number,
  page: { items: readonly Json<DeliveredItem>[]; nextBeforeSeq: number | null },
): string {
  return splicedFrame<typeof HistoryPageFrame, "items">(
    { type: "history_page", ref, has_more: page.nextBeforeSeq !== null, next_before_seq: page.nextBeforeSeq },
    { items: jsonArray(page.items) as Json<Message[]> },
  );
}

/** A presence change; `data` is the member's data, stored serialized. */
export function presenceEventFrame(
  action: PresenceEventFrame["action"],
  clientId: string,
  data: Json<unknown>,
  timestamp: number,
): string {
  const member = splicedJson<PresenceMember, "data">({ client_id: clientId, timestamp }, { data });
  return splicedFrame<typeof PresenceEventFrame, "member">({ type: "presence", action }, { member });
}

/**
 * Refuses a WebSocket in a way browsers can see: accept the upgrade, send the `error` frame, close
 * with the error's close code. (A failed upgrade shows up in a browser as a bare 1006 with no
 * status or reason, so an HTTP 401 would tell the app nothing.) The socket is not hibernatable:
 * it lives only for these two frames.
 */
export function refuseSocket(error: ApiError, subprotocol: boolean): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.send(errorFrameOf(null, error));
  server.close(error.closeCode, error.code);
  return new Response(null, {
    status: 101,
    webSocket: client,
    headers: subprotocol ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : {},
  });
}

/** Refuses a WebSocket for an unexpected failure (logged by the caller): `internal`, 4011. */
export function refuseInternal(message: string, subprotocol: boolean): Response {
  return refuseSocket(new ApiError("internal", message), subprotocol);
}

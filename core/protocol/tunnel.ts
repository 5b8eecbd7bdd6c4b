/**
 * The tunnel's wire format: what the tunnel object (durable-objects/tunnel/) and the
 * `flarebase tunnel` CLI (cli/tunnel/) say to each other over the CLI's one WebSocket. Every
 * proxied request is a **stream**, numbered by the object; its frames interleave with those of
 * the other streams in flight. Documented in docs/protocol.md#tunnel-frames.
 *
 * A frame is one **binary** WebSocket message: a 5-byte header, then the payload.
 *
 * ```
 * byte 0      frame type (TUNNEL_FRAME)
 * bytes 1..4  stream id, unsigned 32-bit big-endian (1 .. 2^32-1)
 * bytes 5..   payload: UTF-8 JSON for `request`, `response` and `reset`; raw bytes for `data`;
 *             a 32-bit big-endian byte count for `window`; nothing for `end`
 * ```
 *
 * Text messages on the socket are the heartbeat ({@link HEARTBEAT_PING}, answered by the runtime
 * so an idle tunnel never wakes its object) and the `error` frame the server sends before it
 * closes the socket, in the realtime envelope (docs/protocol.md#error).
 *
 * Flow control: each side may send at most {@link INITIAL_WINDOW_BYTES} of a stream's body before
 * the other side grants more with `window` frames, which it sends as it hands the bytes on (to
 * the caller, or to the local server). A slow reader therefore stops the writer instead of
 * filling memory; a side that sends beyond its window has the stream reset.
 *
 * @module
 */
import { z } from "zod";
import { HEARTBEAT_PING } from "./envelope.js";

export { HEARTBEAT_PING };

/** The type byte of each frame. */
export const TUNNEL_FRAME = {
  /** object → CLI: a new stream: the request's method, path and headers. Its body follows as `data`. */
  request: 1,
  /** CLI → object: the local server's status and headers. The response body follows as `data`. */
  response: 2,
  /** both: a piece of the body, at most {@link MAX_DATA_BYTES}, within the sender's window. */
  data: 3,
  /** both: the sender's body is complete (after the last `data`). */
  end: 4,
  /** both: the stream is abandoned (cancelled, or failed); nothing more is sent on it either way. */
  reset: 5,
  /** both: the sender may send this many more body bytes on the stream. */
  window: 6,
} as const;

export type TunnelFrameType = keyof typeof TUNNEL_FRAME;

/** Bytes before the payload: the type, then the stream id. */
export const FRAME_HEADER_BYTES = 5;
/** The largest body piece in one `data` frame: a frame stays far below the 1 MiB message limit. */
export const MAX_DATA_BYTES = 64 * 1024;
/** The largest JSON payload (a request or response head: its headers). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** The largest frame either side accepts; anything bigger is a protocol error. */
export const MAX_FRAME_BYTES = FRAME_HEADER_BYTES + Math.max(MAX_DATA_BYTES, MAX_HEAD_BYTES);
/** Body bytes each side may send on a new stream before any `window` frame. */
export const INITIAL_WINDOW_BYTES = 1024 * 1024;
/** A receiver grants more once it has handed on this much (so `window` frames stay few). */
export const WINDOW_UPDATE_THRESHOLD = INITIAL_WINDOW_BYTES / 4;
/** Streams one tunnel carries at once; more requests are refused (429) until some finish. */
export const MAX_STREAMS = 64;
/** Stream ids are unsigned 32-bit, never 0. */
export const MAX_STREAM_ID = 0xffff_ffff;

/**
 * How often the CLI sends the heartbeat, and how long either side waits without hearing from
 * the other (a message or a heartbeat answer) before it takes the socket for dead.
 */
export const HEARTBEAT_INTERVAL_MS = 15_000;
export const HEARTBEAT_TIMEOUT_MS = 45_000;

/** Header name/value pairs in order, so repeated headers (`Set-Cookie`) survive. */
const HeaderPairs = z.array(z.tuple([z.string().min(1), z.string()])).max(500);

/** `request`: what the local server is asked. `path` starts with `/` and carries the query. */
export const TunnelRequestHead = z.object({
  method: z.string().regex(/^[A-Z]{1,16}$/),
  path: z
    .string()
    .startsWith("/")
    .max(16 * 1024),
  headers: HeaderPairs,
});
export type TunnelRequestHead = z.infer<typeof TunnelRequestHead>;

/** `response`: the local server's answer. */
export const TunnelResponseHead = z.object({
  status: z.number().int().min(200).max(599),
  headers: HeaderPairs,
});
export type TunnelResponseHead = z.infer<typeof TunnelResponseHead>;

/**
 * Why a stream was reset. From the object: `cancelled` (the caller went away), `protocol_error`
 * (the CLI broke these rules). From the CLI: `upstream_unreachable` (nothing answers on the local
 * port), `upstream_timeout` (`--timeout` passed before the local server answered),
 * `body_too_large` (the request body is beyond `--max-body`), `upstream_failed` (the local
 * connection broke mid-response), `cancelled`, `protocol_error`.
 */
export const TUNNEL_RESET_REASONS = [
  "cancelled",
  "upstream_unreachable",
  "upstream_timeout",
  "upstream_failed",
  "body_too_large",
  "protocol_error",
] as const;
export type TunnelResetReason = (typeof TUNNEL_RESET_REASONS)[number];

export const TunnelReset = z.object({
  reason: z.enum(TUNNEL_RESET_REASONS),
  message: z.string().max(1024),
});
export type TunnelReset = z.infer<typeof TunnelReset>;

/** A frame, decoded. */
export type TunnelFrame =
  | { type: "request"; stream: number; head: TunnelRequestHead }
  | { type: "response"; stream: number; head: TunnelResponseHead }
  | { type: "data"; stream: number; bytes: Uint8Array }
  | { type: "end"; stream: number }
  | { type: "reset"; stream: number; reset: TunnelReset }
  | { type: "window"; stream: number; bytes: number };

/** A message that is not a valid frame: the sender does not follow this protocol. */
export class TunnelProtocolError extends Error {
  override readonly name = "TunnelProtocolError";
}

const TYPE_NAMES = new Map<number, TunnelFrameType>(
  Object.entries(TUNNEL_FRAME).map(([name, byte]) => [byte, name as TunnelFrameType]),
);
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Serializes one frame into the bytes of one binary WebSocket message. */
export function encodeTunnelFrame(frame: TunnelFrame): Uint8Array<ArrayBuffer> {
  switch (frame.type) {
    case "request":
    case "response":
      return withHeader(frame.type, frame.stream, encoder.encode(JSON.stringify(frame.head)));
    case "reset":
      return withHeader(frame.type, frame.stream, encoder.encode(JSON.stringify(frame.reset)));
    case "data":
      if (frame.bytes.byteLength > MAX_DATA_BYTES) {
        throw new RangeError(`A data frame carries at most ${MAX_DATA_BYTES} bytes.`);
      }
      return withHeader(frame.type, frame.stream, frame.bytes);
    case "end":
      return withHeader(frame.type, frame.stream, new Uint8Array(0));
    case "window": {
      const payload = new Uint8Array(4);
      new DataView(payload.buffer).setUint32(0, frame.bytes);
      return withHeader(frame.type, frame.stream, payload);
    }
  }
}

/**
 * Reads one binary message. A `data` frame's bytes are a view into `message` (no copy).
 *
 * @throws {TunnelProtocolError} for anything that is not a valid frame.
 */
export function decodeTunnelFrame(message: ArrayBuffer | Uint8Array): TunnelFrame {
  const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (bytes.byteLength < FRAME_HEADER_BYTES) throw new TunnelProtocolError("A frame is at least 5 bytes.");
  if (bytes.byteLength > MAX_FRAME_BYTES) {
    throw new TunnelProtocolError(`A frame is at most ${MAX_FRAME_BYTES} bytes.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = TYPE_NAMES.get(view.getUint8(0));
  const stream = view.getUint32(1);
  if (type === undefined) throw new TunnelProtocolError(`Unknown frame type ${view.getUint8(0)}.`);
  if (stream === 0) throw new TunnelProtocolError("Stream id 0 is not a stream.");
  const payload = bytes.subarray(FRAME_HEADER_BYTES);
  switch (type) {
    case "request":
      return { type, stream, head: parseJson(TunnelRequestHead, payload, type) };
    case "response":
      return { type, stream, head: parseJson(TunnelResponseHead, payload, type) };
    case "reset":
      return { type, stream, reset: parseJson(TunnelReset, payload, type) };
    case "data":
      if (payload.byteLength > MAX_DATA_BYTES) {
        throw new TunnelProtocolError(`A data frame carries at most ${MAX_DATA_BYTES} bytes.`);
      }
      return { type, stream, bytes: payload };
    case "end":
      if (payload.byteLength !== 0) throw new TunnelProtocolError("An end frame has no payload.");
      return { type, stream };
    case "window": {
      if (payload.byteLength !== 4) throw new TunnelProtocolError("A window frame's payload is 4 bytes.");
      const granted = view.getUint32(FRAME_HEADER_BYTES);
      if (granted === 0) throw new TunnelProtocolError("A window frame grants at least one byte.");
      return { type, stream, bytes: granted };
    }
  }
}

/** Splits a body chunk into pieces that each fit one `data` frame (views, no copies). */
export function* dataPieces(chunk: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < chunk.byteLength; offset += MAX_DATA_BYTES) {
    yield chunk.subarray(offset, Math.min(offset + MAX_DATA_BYTES, chunk.byteLength));
  }
}

function withHeader(type: TunnelFrameType, stream: number, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(stream) || stream < 1 || stream > MAX_STREAM_ID) {
    throw new RangeError(`Stream ids are 1 to ${MAX_STREAM_ID}, got ${stream}.`);
  }
  if (type !== "data" && payload.byteLength > MAX_HEAD_BYTES) {
    throw new RangeError(`A ${type} frame's payload is at most ${MAX_HEAD_BYTES} bytes.`);
  }
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, TUNNEL_FRAME[type]);
  view.setUint32(1, stream);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

function parseJson<T>(schema: z.ZodType<T>, payload: Uint8Array, type: TunnelFrameType): T {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch {
    throw new TunnelProtocolError(`A ${type} frame's payload is not UTF-8 JSON.`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TunnelProtocolError(`Invalid ${type} frame: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

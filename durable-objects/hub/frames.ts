import { PROTOCOL_VERSION, type RealtimeErrorCode, SUBPROTOCOL } from "../../core/protocol/channel";

/**
 * Small builders for server frames that are sent often or from several places. Hot frames are
 * built by string concatenation from parts already serialized, so nothing is stringified twice.
 */

/** An `error` frame. */
export function errorFrame(ref: number | null, code: RealtimeErrorCode, message: string, details?: unknown): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, type: "error", ref, code, message, details });
}

/** A `messages` frame (or another frame of `type` whose body is `items`) from serialized items. */
export function messagesFrame(items: readonly string[], type = "messages"): string {
  return `{"v":1,"type":"${type}","items":[${items.join(",")}]}`;
}

/**
 * Splits serialized messages into `messages` frames (or frames of `type`) of at most `maxItems`
 * items and about `maxBytes` characters each (a single bigger item still gets its own frame).
 */
export function messagesFrames(
  items: readonly string[],
  maxItems: number,
  maxBytes: number,
  type = "messages",
): string[] {
  const frames: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const item of items) {
    if (batch.length > 0 && (batch.length >= maxItems || bytes + item.length > maxBytes)) {
      frames.push(messagesFrame(batch, type));
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += item.length;
  }
  if (batch.length > 0) frames.push(messagesFrame(batch, type));
  return frames;
}

/**
 * Refuses a WebSocket in a way browsers can see: accept the upgrade, send an `error` frame, close
 * with an application code. (A failed upgrade shows up in a browser as a bare 1006 with no
 * status or reason, so an HTTP 401 would tell the app nothing.) The socket is not hibernatable:
 * it lives only for these two frames.
 */
export function refuseSocket(
  code: RealtimeErrorCode,
  message: string,
  closeCode: number,
  options: { subprotocol?: boolean; details?: unknown } = {},
): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.send(errorFrame(null, code, message, options.details));
  server.close(closeCode, code);
  return new Response(null, {
    status: 101,
    webSocket: client,
    headers: options.subprotocol ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : {},
  });
}

// One connection of the CLI to its tunnel object: the socket, the heartbeat, and the streams
// (one LocalStream per request) multiplexed over it.
import { ERROR_CODES } from "../../core/errors.js";
import { HEARTBEAT_PING } from "../../core/protocol/envelope.js";
import {
  decodeTunnelFrame,
  encodeTunnelFrame,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  MAX_STREAMS,
  type TunnelFrame,
  TunnelProtocolError,
} from "../../core/protocol/tunnel.js";
import { LocalStream, type LocalTarget, type StreamReport } from "./local-stream.js";

/** How a connection ended. */
export interface SessionEnd {
  code: number;
  reason: string;
  /** The server's `error` frame before the close, if it sent one: why it closed. */
  error: { code: string; message: string } | null;
  /** Whether the socket was open at all (false: the connection attempt itself failed). */
  opened: boolean;
}

export interface SessionOptions {
  /** The connect URL (ws:// or wss://). */
  url: string;
  /** The subprotocols to offer: the envelope's and the credential. */
  protocols: string[];
  target: LocalTarget;
  /** Called when the socket is open and serving. */
  onOpen(): void;
  /** Called as each request ends. */
  onRequest(report: StreamReport): void;
}

/** How long the WebSocket handshake may take before the attempt counts as failed. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long the close may take to arrive after the server's `error` frame. */
const CLOSE_GRACE_MS = 1_000;
/** The close code each error code ends a socket with (core/errors.ts), for the codes that end a tunnel. */
const ERROR_CLOSE_CODES: Record<string, number> = Object.fromEntries(
  Object.entries(ERROR_CODES).map(([code, spec]) => [code, spec.close]),
);

/**
 * Serves requests over one socket until it closes; resolves with how it closed. Every request
 * still in flight then is abandoned (its local request cancelled): the object has already ended
 * it with a 502 on its side.
 */
export function runSession(options: SessionOptions, signal: AbortSignal): Promise<SessionEnd> {
  return new Promise((resolve) => {
    const ws = new WebSocket(options.url, options.protocols);
    ws.binaryType = "arraybuffer";
    const streams = new Map<number, LocalStream>();
    let opened = false;
    let lastHeard = Date.now();
    let serverError: SessionEnd["error"] = null;
    let heartbeat: NodeJS.Timeout | undefined;
    const connectTimer = setTimeout(() => ws.close(), CONNECT_TIMEOUT_MS);
    let closeGrace: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (code: number, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(closeGrace);
      clearInterval(heartbeat);
      signal.removeEventListener("abort", onAbort);
      for (const stream of [...streams.values()]) stream.abandon();
      resolve({ code, reason, error: serverError, opened });
    };

    const send = (frame: TunnelFrame): boolean => {
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.send(encodeTunnelFrame(frame));
      return true;
    };
    const onAbort = () => ws.close(1000, "the CLI stopped");
    signal.addEventListener("abort", onAbort, { once: true });

    ws.addEventListener("open", () => {
      opened = true;
      clearTimeout(connectTimer);
      lastHeard = Date.now();
      heartbeat = setInterval(() => {
        // A machine that loses its network sees no close: silence past the deadline ends the
        // session, and the reconnect loop takes over.
        if (Date.now() - lastHeard > HEARTBEAT_TIMEOUT_MS) ws.close(4008, "heartbeat timeout");
        else ws.send(HEARTBEAT_PING);
      }, HEARTBEAT_INTERVAL_MS);
      options.onOpen();
    });

    ws.addEventListener("message", (event) => {
      lastHeard = Date.now();
      if (typeof event.data === "string") {
        const error = readErrorFrame(event.data);
        if (error) {
          serverError = error;
          // The close follows the error frame; if the closing handshake lingers (a proxy in
          // between keeps the connection), the session still ends now, with the server's code.
          closeGrace = setTimeout(() => settle(ERROR_CLOSE_CODES[error.code] ?? 1006, error.code), CLOSE_GRACE_MS);
        }
        return;
      }
      let frame: TunnelFrame;
      try {
        frame = decodeTunnelFrame(event.data as ArrayBuffer);
      } catch (error) {
        if (!(error instanceof TunnelProtocolError)) throw error;
        ws.close(4000, "invalid frame");
        return;
      }
      if (frame.type === "request") {
        if (streams.has(frame.stream) || streams.size >= MAX_STREAMS) {
          send({ type: "reset", stream: frame.stream, reset: { reason: "protocol_error", message: "stream refused" } });
          return;
        }
        const stream = new LocalStream(frame.stream, frame.head, options.target, send, (done, report) => {
          if (streams.get(done.id) === done) streams.delete(done.id);
          options.onRequest(report);
        });
        streams.set(frame.stream, stream);
        stream.start();
        return;
      }
      // Frames of a stream that is over (a reset crossed them) are dropped.
      streams.get(frame.stream)?.onFrame(frame);
    });

    ws.addEventListener("close", (event) => settle(event.code, event.reason));
  });
}

function readErrorFrame(text: string): SessionEnd["error"] {
  try {
    const frame = JSON.parse(text) as { type?: unknown; code?: unknown; message?: unknown };
    if (frame.type === "error" && typeof frame.code === "string" && typeof frame.message === "string") {
      return { code: frame.code, message: frame.message };
    }
  } catch {
    // Not JSON: not an error frame.
  }
  return null;
}

import { CLOSE_CODES } from "../../core/protocol/close-codes.js";

/** The server's application close codes: core's own table (plain numbers, so nothing else comes with it). */
export const CLOSE = CLOSE_CODES;

/** Closes after which retrying cannot help: the request itself is wrong or not allowed. */
const TERMINAL = new Set<number>([
  CLOSE.bad_request,
  CLOSE.forbidden,
  CLOSE.invalid_channel,
  CLOSE.unsupported_version,
  CLOSE.room_not_found,
  CLOSE.room_full,
  CLOSE.room_closed,
  CLOSE.removed_from_room,
]);

/** Connection-level error codes that are always followed by the close of the same name. */
const ENDING_ERRORS = new Set<string>(["room_not_found", "room_full", "room_closed", "removed_from_room"]);

/**
 * The close code a connection-level `error` frame (no `ref`) announces, when it always ends the
 * connection; null otherwise. The SDK ends the connection on the frame itself: the runtime may
 * deliver the close itself seconds later (the Close frame of a refused hibernatable socket waits
 * for the server to end the TCP connection).
 */
export function endingCloseCode(errorCode: string): number | null {
  return ENDING_ERRORS.has(errorCode) ? CLOSE[errorCode as keyof typeof CLOSE] : null;
}

/**
 * What to do after a close: retry (with backoff), refresh credentials and retry, or stop.
 * Bad credentials are only worth a retry when the app gave a token function, which may return a
 * new token; a fixed key or token would fail the same way forever.
 */
export function reactionTo(code: number, canRefreshToken: boolean): "retry" | "stop" {
  if (TERMINAL.has(code)) return "stop";
  if (code === CLOSE.unauthorized || code === CLOSE.token_expired) return canRefreshToken ? "retry" : "stop";
  return "retry";
}

/** Reconnection and liveness settings; every field has a default (see {@link DEFAULT_RECONNECT}). */
export interface ReconnectOptions {
  /** First retry delay in ms, before jitter. Default 500. */
  minDelayMs?: number;
  /** Largest retry delay in ms. Default 30000. */
  maxDelayMs?: number;
  /** Each failed attempt multiplies the delay by this. Default 2. */
  growFactor?: number;
  /** A connection must stay up this long (ms) before the retry count resets. Default 5000. */
  minUptimeMs?: number;
  /** Give up on an attempt that has not said hello within this many ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Heartbeat interval in ms; the server's hello may ask for a shorter one. Default 25000. */
  heartbeatMs?: number;
  /** A socket that answers nothing this long after a heartbeat is dead and replaced. Default 10000. */
  heartbeatTimeoutMs?: number;
  /** Attempts in a row before giving up (state `failed`). Default Infinity. */
  maxRetries?: number;
}

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  minDelayMs: 500,
  maxDelayMs: 30_000,
  growFactor: 2,
  minUptimeMs: 5000,
  connectTimeoutMs: 10_000,
  heartbeatMs: 25_000,
  heartbeatTimeoutMs: 10_000,
  maxRetries: Number.POSITIVE_INFINITY,
};

/**
 * The delay before retry number `attempt` (0 = the first retry): exponential, capped, with "equal
 * jitter" (a random point in the upper half) so a server restart does not bring every client back
 * in the same millisecond, while the delay still grows.
 */
export function retryDelay(attempt: number, options: Required<ReconnectOptions>, random = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.minDelayMs * options.growFactor ** attempt);
  return Math.round(base / 2 + random() * (base / 2));
}

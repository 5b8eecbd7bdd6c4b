import type { ErrorCode } from "../core/errors.js";

/**
 * Error codes the SDK sets itself, when there is no server answer to take a code from:
 * - `network_error`: the request never got an HTTP response (server down, DNS, CORS, offline).
 * - `timeout`: no complete response within `timeoutMs`.
 * - `aborted`: the caller's `AbortSignal` fired.
 * - `invalid_response`: the server answered, but not with what a Flarebase server sends.
 * - `token_error`: the app's token function threw or rejected.
 * - `upstream_error`: (`endpoint(client).pollUntil`) your own server answered with a 4xx status.
 */
export type ClientErrorCode =
  | "network_error"
  | "timeout"
  | "aborted"
  | "invalid_response"
  | "token_error"
  | "upstream_error";

/**
 * Codes the server sends, in its REST error envelope and its realtime `error` frames: the keys of
 * `ERROR_CODES` in core/errors.ts (documented in docs/protocol.md), so the SDK's list cannot drift
 * from the server's. {@link FlarebaseErrorCode} stays open, so a newer server's codes still
 * type-check here.
 */
export type ServerErrorCode = ErrorCode;

/**
 * The codes of realtime `error` frames: the same one list as {@link ServerErrorCode} (REST and
 * realtime share it), under the name earlier versions exported.
 */
export type RealtimeErrorCode = ServerErrorCode;

/**
 * Codes the SDK's realtime sockets set themselves (besides `network_error`, `timeout` and
 * `token_error`):
 * - `connection_lost`: the socket closed unexpectedly; the SDK reconnects (seen in connection events).
 * - `closed`: the channel or the client was closed by the app; pending and later calls reject with it.
 * - `failed`: the connection stopped retrying; `client.connection` events carry the cause.
 * - `queue_full`: too many requests (1000) are waiting for the server.
 * - `not_supported`: there is no WebSocket in this environment and none was passed.
 */
export type RealtimeClientErrorCode = "connection_lost" | "closed" | "failed" | "queue_full" | "not_supported";

/** Any code a {@link FlarebaseError} can carry. */
export type FlarebaseErrorCode = ServerErrorCode | ClientErrorCode | RealtimeClientErrorCode | (string & {});

/** What a {@link FlarebaseError} is built from. */
export interface FlarebaseErrorInit {
  /** HTTP status, or 0 when no HTTP response was received. */
  status: number;
  code: FlarebaseErrorCode;
  message: string;
  details?: unknown;
  /** The server's `X-Request-Id`, when a response arrived. */
  requestId?: string | null;
  /** The full URL of the request. */
  url: string;
  cause?: unknown;
}

/**
 * The one error type every SDK call rejects with: an error answer from the server, a network
 * failure, a timeout or an abort. Switch on `code`; `status` is 0 when no response arrived.
 *
 * `isAbort` is true only when the caller's own `AbortSignal` cancelled the request (code
 * `aborted`), so `if (error.isAbort) return;` safely ignores cancellations you asked for. A
 * timeout is not an abort: it has code `timeout` and `isAbort === false`.
 *
 * @example
 * try {
 *   await client.auth.me();
 * } catch (error) {
 *   if (error instanceof FlarebaseError && error.code === "unauthorized") showLogin();
 *   else throw error;
 * }
 */
export class FlarebaseError extends Error {
  override readonly name = "FlarebaseError";
  /** HTTP status, or 0 for `network_error`, `timeout`, `aborted` and `token_error`. */
  readonly status: number;
  /** The server's error code, or one of the SDK's own {@link ClientErrorCode}s. */
  readonly code: FlarebaseErrorCode;
  /** Structured details from the server (for example validation issues), if any. */
  readonly details: unknown;
  /** The server's request id (`X-Request-Id`): quote it when reporting a problem. */
  readonly requestId: string | null;
  /** The full URL that was requested. */
  readonly url: string;
  /** True when the caller's `AbortSignal` cancelled the request. */
  readonly isAbort: boolean;

  constructor(init: FlarebaseErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId ?? null;
    this.url = init.url;
    this.isAbort = init.code === "aborted";
  }

  /**
   * A plain object with every field, for logs and for passing the error across a serialization
   * boundary (server-side rendering, `postMessage`). `cause` is reduced to its message.
   *
   * @example
   * console.error(JSON.stringify(error));
   */
  toJSON() {
    const { name, status, code, message, details, requestId, url, isAbort, cause } = this;
    return {
      name,
      status,
      code,
      message,
      details,
      requestId,
      url,
      isAbort,
      cause: cause instanceof Error ? cause.message : cause,
    };
  }
}

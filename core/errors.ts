import { CLOSE_CODES, type CloseCode } from "./protocol/close-codes.js";

/** The HTTP status of an error response (4xx or 5xx; always with a body). */
export type ErrorStatus = number;

/** What a code means on each wire: the HTTP status of a REST error, the close code of a socket it ends. */
export interface ErrorCodeSpec {
  status: ErrorStatus;
  close: CloseCode;
}

/**
 * Every error code the server sends, over REST (`{ "error": { code, ... } }`) and realtime
 * (`error` frames), with its HTTP status and the WebSocket close code of a connection it ends (a
 * refused upgrade, a closed socket; an error that answers a frame leaves the connection open).
 * One flat table: a new code is one line here. The list is closed and documented once, in
 * docs/protocol.md#error-codes: clients may switch on `code`.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, close: CLOSE_CODES.bad_request },
  invalid_request: { status: 400, close: CLOSE_CODES.bad_request },
  invalid_filter: { status: 400, close: CLOSE_CODES.bad_request },
  invalid_path: { status: 400, close: CLOSE_CODES.bad_request },
  invalid_frame: { status: 400, close: CLOSE_CODES.bad_request },
  unknown_type: { status: 400, close: CLOSE_CODES.bad_request },
  unsupported_version: { status: 400, close: CLOSE_CODES.unsupported_version },
  invalid_channel: { status: 400, close: CLOSE_CODES.invalid_channel },
  invalid_room: { status: 400, close: CLOSE_CODES.invalid_channel },
  invalid_collection: { status: 400, close: CLOSE_CODES.invalid_channel },
  invalid_state_operation: { status: 400, close: CLOSE_CODES.bad_request },
  weak_password: { status: 400, close: CLOSE_CODES.bad_request },
  invalid_one_time_token: { status: 400, close: CLOSE_CODES.bad_request },
  redirect_url_not_allowed: { status: 400, close: CLOSE_CODES.bad_request },
  oidc_state_invalid: { status: 400, close: CLOSE_CODES.bad_request },
  unauthorized: { status: 401, close: CLOSE_CODES.unauthorized },
  token_expired: { status: 401, close: CLOSE_CODES.token_expired },
  invalid_credentials: { status: 401, close: CLOSE_CODES.unauthorized },
  invalid_refresh_token: { status: 401, close: CLOSE_CODES.unauthorized },
  oidc_authorization_failed: { status: 401, close: CLOSE_CODES.unauthorized },
  oidc_exchange_failed: { status: 401, close: CLOSE_CODES.unauthorized },
  oidc_id_token_invalid: { status: 401, close: CLOSE_CODES.unauthorized },
  forbidden: { status: 403, close: CLOSE_CODES.forbidden },
  origin_not_allowed: { status: 403, close: CLOSE_CODES.forbidden },
  secret_key_not_allowed: { status: 403, close: CLOSE_CODES.forbidden },
  user_disabled: { status: 403, close: CLOSE_CODES.forbidden },
  removed_from_room: { status: 403, close: CLOSE_CODES.removed_from_room },
  not_found: { status: 404, close: CLOSE_CODES.invalid_channel },
  endpoint_not_found: { status: 404, close: CLOSE_CODES.invalid_channel },
  room_not_found: { status: 404, close: CLOSE_CODES.room_not_found },
  method_not_allowed: { status: 405, close: CLOSE_CODES.bad_request },
  heartbeat_timeout: { status: 408, close: CLOSE_CODES.heartbeat_timeout },
  conflict: { status: 409, close: CLOSE_CODES.bad_request },
  tunnel_replaced: { status: 409, close: CLOSE_CODES.tunnel_replaced },
  room_full: { status: 409, close: CLOSE_CODES.room_full },
  identity_conflict: { status: 409, close: CLOSE_CODES.bad_request },
  release_incomplete: { status: 409, close: CLOSE_CODES.bad_request },
  changes_pruned: { status: 410, close: CLOSE_CODES.bad_request },
  room_closed: { status: 410, close: CLOSE_CODES.room_closed },
  precondition_failed: { status: 412, close: CLOSE_CODES.bad_request },
  payload_too_large: { status: 413, close: CLOSE_CODES.bad_request },
  frame_too_large: { status: 413, close: CLOSE_CODES.bad_request },
  file_too_large: { status: 413, close: CLOSE_CODES.bad_request },
  quota_exceeded: { status: 413, close: CLOSE_CODES.bad_request },
  state_too_large: { status: 413, close: CLOSE_CODES.bad_request },
  unsupported_media_type: { status: 415, close: CLOSE_CODES.bad_request },
  range_not_satisfiable: { status: 416, close: CLOSE_CODES.bad_request },
  rate_limited: { status: 429, close: CLOSE_CODES.too_many_connections },
  internal: { status: 500, close: CLOSE_CODES.internal },
  upstream_unreachable: { status: 502, close: CLOSE_CODES.internal },
  tunnel_disconnected: { status: 502, close: CLOSE_CODES.going_away },
  oidc_provider_unavailable: { status: 502, close: CLOSE_CODES.internal },
  not_configured: { status: 503, close: CLOSE_CODES.internal },
  too_many_connections: { status: 503, close: CLOSE_CODES.too_many_connections },
  tunnel_offline: { status: 503, close: CLOSE_CODES.going_away },
  upstream_timeout: { status: 504, close: CLOSE_CODES.internal },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Every code of {@link ERROR_CODES}, in table order (for `z.enum` and for iterating). */
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The body of every non-2xx response (and the fields of every `error` frame). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Where an {@link ApiError} departs from its code's row of {@link ERROR_CODES}. */
export interface ApiErrorOptions {
  /** The HTTP status, when not the code's (e.g. 426 for a plain GET of a WebSocket endpoint). */
  status?: ErrorStatus;
  /** The close code, when not the code's (e.g. `going_away` for an `internal` that asks to reconnect). */
  closeCode?: number;
  cause?: unknown;
}

/**
 * The one error type the server throws on purpose, in the Worker and in the realtime objects.
 * `app.onError` turns it into the REST error envelope; the socket hub turns it into an `error`
 * frame (the reply to the request that failed), or into a refused connection when it is thrown
 * while a connection is set up (the `error` frame, then a close with `closeCode`). Anything else
 * becomes a logged `internal` with no internals in the answer.
 *
 * @example
 * throw new ApiError("not_found", `No project with id "${id}".`);
 * throw new ApiError("room_full", "The room is full.", { max_participants: 8 }); // closes with 4013
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: ErrorStatus;
  readonly closeCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options: ApiErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status ?? ERROR_CODES[code].status;
    this.closeCode = options.closeCode ?? ERROR_CODES[code].close;
  }

  /**
   * The error again from its body, e.g. after a Durable Object RPC (a thrown error crosses it as a
   * plain `Error`, so objects return {@link toBody} as a value instead).
   */
  static fromBody({ error }: ErrorBody): ApiError {
    return new ApiError(error.code, error.message, error.details);
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { error: { code: this.code, message: this.message } };
    if (this.details !== undefined) body.error.details = this.details;
    return body;
  }
}

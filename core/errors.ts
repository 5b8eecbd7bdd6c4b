/** The HTTP status of an error response (4xx or 5xx; always with a body). */
export type ErrorStatus = number;

/**
 * Every error code the API can return, with its default HTTP status. The list is closed and
 * documented in docs/rest.md: clients may switch on `error.code`.
 */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_filter: 400,
  unauthorized: 401,
  token_expired: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  changes_pruned: 410,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  not_configured: 503,
} as const satisfies Record<string, ErrorStatus>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The body of every non-2xx response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/**
 * The one error type the API throws on purpose. `app.onError` turns it into the error envelope;
 * anything else becomes a logged 500 `internal` with no internals in the response.
 *
 * @example
 * throw new ApiError("not_found", `No project with id "${id}".`);
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: ErrorStatus;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { status?: ErrorStatus; cause?: unknown },
  ) {
    super(message, { cause: options?.cause });
    this.status = options?.status ?? ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { error: { code: this.code, message: this.message } };
    if (this.details !== undefined) body.error.details = this.details;
    return body;
  }
}

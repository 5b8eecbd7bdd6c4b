import { ApiError } from "../errors.js";

/**
 * The error every parser throws: 400 `invalid_filter`, with the 0-based character offset of the
 * problem in `details.position` (and, for query parameters, the parameter name in
 * `details.param`, the offset then counting in that parameter's key or value).
 */
export function filterError(message: string, position: number, extra?: Record<string, unknown>): ApiError {
  return new ApiError("invalid_filter", `${message} (at position ${position})`, { ...extra, position });
}

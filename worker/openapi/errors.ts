import { ERROR_CODES, type ErrorCode } from "../../core/errors";
import type { ErrorSpec, RouteAuth, RouteSpec } from "./route";

/** What each kind of authentication can answer with before the handler runs. */
const AUTH_ERRORS: Record<RouteAuth, readonly ErrorSpec[]> = {
  none: [],
  admin: ["unauthorized", "not_configured"],
  project: ["unauthorized", "token_expired", "origin_not_allowed"],
  secret: ["unauthorized", "token_expired", "origin_not_allowed", "forbidden"],
  // A WebSocket route refuses in-band; over HTTP it only says "upgrade" (426).
  socket: [{ code: "invalid_request", status: 426 }],
};

/** One error a route may answer with, at its status. */
export interface RouteError {
  code: ErrorCode;
  status: number;
}

/**
 * Every error a declared route may answer with: those of its authentication, of its declared
 * inputs (`invalid_request`; a JSON body adds `invalid_json` and `payload_too_large`), the ones
 * it declares and `internal`. Sorted by status, then code, without duplicates.
 */
export function routeErrors(spec: RouteSpec): RouteError[] {
  const specs: ErrorSpec[] = [...AUTH_ERRORS[spec.auth], ...(spec.errors ?? []), "internal"];
  if (spec.auth !== "socket") {
    if (spec.params || spec.query || spec.headers || spec.body) specs.push("invalid_request");
    if (spec.body) specs.push("invalid_json", "payload_too_large");
  }
  const seen = new Map<string, RouteError>();
  for (const error of specs) {
    const resolved = typeof error === "string" ? { code: error, status: ERROR_CODES[error].status } : error;
    seen.set(`${resolved.status} ${resolved.code}`, resolved);
  }
  return [...seen.values()].sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
}

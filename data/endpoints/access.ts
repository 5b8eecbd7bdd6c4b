import type { EndpointAccess } from "../../core/endpoints/wire";
import { ApiError } from "../../core/errors";
import { authValues, type Caller, type FilterNode, matches, parseExpression, type Root } from "../../core/query";

/** An endpoint's access rule names only `auth` (the caller): there is no document. */
const ENDPOINT_RULE_ROOTS: Readonly<Record<string, Root>> = { auth: "auth" };

/**
 * Parses an endpoint's access rule (`auth.role == "pro"`), so a broken rule is refused when it is
 * set rather than closing the endpoint at the first call.
 *
 * @throws {ApiError} `invalid_filter`.
 */
export function parseEndpointRule(text: string): FilterNode {
  return parseExpression(text, { scope: "rule", roots: ENDPOINT_RULE_ROOTS });
}

/**
 * Whether this caller may call the endpoint. Secret keys always may (they are the project's own
 * servers); a public key or a user token needs its flag and, when the endpoint has a rule, the
 * rule to hold.
 *
 * @throws {ApiError} `forbidden`, saying which condition refused.
 */
export function assertMayCall(label: string, access: EndpointAccess, caller: Caller): void {
  if (caller.kind === "secret") return;
  const allowedKind = caller.kind === "public" ? access.public_key : access.user_tokens;
  if (!allowedKind) {
    const who = caller.kind === "public" ? "public keys" : "user tokens";
    throw new ApiError("forbidden", `Endpoint "${label}" may not be called with ${who}.`, {
      label,
      kind: caller.kind,
    });
  }
  if (access.rule !== null && !matches(parseEndpointRule(access.rule), { auth: authValues(caller) })) {
    throw new ApiError("forbidden", `The access rule of endpoint "${label}" does not allow this caller.`, {
      label,
      kind: caller.kind,
    });
  }
}

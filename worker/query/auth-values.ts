import type { AuthContext } from "../auth/auth-context";
import type { AuthValues } from "./ast";

/** No caller: every `auth.*` operand is null (missing). */
export const ANONYMOUS: AuthValues = { id: null, role: null, kind: null, claims: {} };

/**
 * What `auth` means in a rule for this caller: `auth.id` is the end user's id (null for a bare
 * API key), `auth.role`, `auth.kind` ("public" | "secret" | "user") and `auth.claims.*`.
 *
 * @example
 * matches(parseRule("auth.id != null && doc.owner == auth.id"), { doc, auth: authValues(c.get("auth")) });
 */
export function authValues(auth: AuthContext | null | undefined): AuthValues {
  if (!auth) return ANONYMOUS;
  return { id: auth.userId, role: auth.role, kind: auth.kind, claims: auth.claims };
}

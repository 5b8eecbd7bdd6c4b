import type { AuthValues } from "./ast.js";

/** No caller: every `auth.*` operand is null (missing). */
export const ANONYMOUS: AuthValues = { id: null, role: null, kind: null, claims: {} };

/** The parts of a verified caller that rules can see. */
export interface AuthIdentity {
  readonly userId: string | null;
  readonly role: string | null;
  readonly kind: "public" | "secret" | "user";
  readonly claims: Record<string, unknown>;
}

/** A verified caller as data access sees it: the project it acts in, and what rules can see. */
export interface Caller extends AuthIdentity {
  readonly projectId: string;
}

/**
 * What `auth` means in a rule for this caller: `auth.id` is the end user's id (null for a bare
 * API key), `auth.role`, `auth.kind` ("public" | "secret" | "user") and `auth.claims.*`.
 *
 * @example
 * matches(parseRule("auth.id != null && doc.owner == auth.id"), { doc, auth: authValues(c.get("auth")) });
 */
export function authValues(auth: AuthIdentity | null | undefined): AuthValues {
  if (!auth) return ANONYMOUS;
  return { id: auth.userId, role: auth.role, kind: auth.kind, claims: auth.claims };
}

/**
 * Login ids: an email address or a user name, as the project chooses (its `login_id` setting),
 * normalized so that one person has one: trimmed, NFC, lowercase. The normalized form is the
 * subject of the user's `password` identity.
 *
 * @module
 */
import type { AuthSettings } from "../../core/rest/accounts";

/** A practical email shape (one @, a dot in the domain, no spaces); the app's own mail proves the rest. */
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/u;
const MAX_EMAIL_LENGTH = 254;
/** Letters and digits of any script, dots, dashes and underscores. */
const USERNAME = /^[\p{L}\p{N}._-]{3,64}$/u;

/** The normalized login id, or null when it is not a valid one of the project's kind. */
export function normalizeLoginId(raw: string, kind: AuthSettings["login_id"]): string | null {
  const value = raw.trim().normalize("NFC").toLowerCase();
  if (kind === "email") return value.length <= MAX_EMAIL_LENGTH && EMAIL.test(value) ? value : null;
  return USERNAME.test(value) ? value : null;
}

/** What a valid login id of this kind looks like, for error messages. */
export function loginIdRule(kind: AuthSettings["login_id"]): string {
  return kind === "email" ? "an email address" : "a user name of 3 to 64 letters, digits, dots, dashes or underscores";
}

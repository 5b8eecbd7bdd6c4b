/**
 * A project's password policy (its account settings): a minimum length in characters (code
 * points), and optionally no password from the built-in list of the most common ones, nor the
 * login id itself.
 *
 * @module
 */
import { ApiError } from "../../core/errors";
import type { AuthSettings } from "../../core/rest/accounts";
import { COMMON_PASSWORDS } from "./common-passwords";

/**
 * @throws {ApiError} `weak_password` with `details.reason` (`too_short` with `min_length`,
 * `common`, `same_as_login_id`).
 */
export function assertPasswordAllowed(password: string, settings: AuthSettings, loginId: string | null) {
  const length = [...password.normalize("NFC")].length;
  if (length < settings.password_min_length) {
    throw new ApiError("weak_password", `The password must have at least ${settings.password_min_length} characters.`, {
      reason: "too_short",
      min_length: settings.password_min_length,
    });
  }
  if (!settings.password_check_common) return;
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) {
    throw new ApiError("weak_password", "This password is among the most common ones; choose another.", {
      reason: "common",
    });
  }
  if (loginId !== null && (lower === loginId || lower === loginId.split("@")[0])) {
    throw new ApiError("weak_password", "The password may not be the login id.", { reason: "same_as_login_id" });
  }
}

/**
 * The per-deployment pepper (the `AUTH_PEPPER` secret): a key that lives only in the Worker's
 * secrets, never in D1. Passwords are hashed over an HMAC of it and refresh tokens are MACs
 * under it, so a copy of the database alone can neither test password guesses nor produce a
 * refresh token.
 *
 * @module
 */
import { ApiError } from "../../core/errors";

/** Shortest pepper accepted: 32 characters of a random secret (e.g. `openssl rand -base64 32`). */
const MIN_PEPPER_LENGTH = 32;

/**
 * The deployment's pepper.
 *
 * @throws {ApiError} `not_configured` when AUTH_PEPPER is missing or too short.
 */
export function pepperOf(env: { AUTH_PEPPER?: string }): string {
  const pepper = env.AUTH_PEPPER;
  if (!pepper || pepper.length < MIN_PEPPER_LENGTH) {
    throw new ApiError(
      "not_configured",
      `Accounts are disabled because AUTH_PEPPER is not set (a random secret of ${MIN_PEPPER_LENGTH}+ characters). Locally, \`npm run dev\` writes one to .dev.vars; when deployed, run \`openssl rand -base64 32 | npx wrangler secret put AUTH_PEPPER\`. Never change it afterwards: every password and session depends on it.`,
    );
  }
  return pepper;
}

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(pepper: string): Promise<CryptoKey> {
  let key = keys.get(pepper);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keys.set(pepper, key);
  }
  return key;
}

/**
 * HMAC-SHA-256 under the pepper of `purpose` and `data` (the purpose keeps the MACs of one use
 * from standing in for another's).
 */
export async function pepperMac(pepper: string, purpose: string, data: string): Promise<Uint8Array> {
  const message = new TextEncoder().encode(`${purpose}\u0000${data}`);
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(pepper), message));
}

/** Bytes as unpadded base64url. */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Unpadded base64url to bytes, or null when it is not base64url. */
export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

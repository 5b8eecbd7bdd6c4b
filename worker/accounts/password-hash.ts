/**
 * Password hashes in a versioned, self-describing format, so the algorithm or its cost can rise
 * later and old hashes still verify (and are upgraded at the user's next sign-in):
 *
 *     $pbkdf2-sha256$v=1,i=100000$<salt>$<hash>
 *
 * `v=1` is this scheme: PBKDF2-HMAC-SHA-256 (Web Crypto; no WebAssembly, which Workers cannot
 * compile at run time, and no scrypt, whose 32 MiB+ per hash does not fit a 128 MB isolate), whose
 * input is HMAC-SHA-256(AUTH_PEPPER, password) rather than the password, `i` iterations, a
 * 16-byte random salt and a 32-byte output, both unpadded base64url.
 *
 * Deployed Workers refuse PBKDF2 above 100,000 iterations (`wrangler dev` does not), so the cost
 * is checked here against that cap in every environment: a configuration that would fail once
 * deployed fails locally and in the tests too.
 *
 * @module
 */
import { base64url, fromBase64url, pepperMac } from "./pepper";

/** The most PBKDF2 iterations Web Crypto allows on deployed Workers. */
export const PBKDF2_PRODUCTION_CAP = 100_000;

/** The cost used when PASSWORD_HASH_ITERATIONS is not set: the most the platform allows. */
export const DEFAULT_PASSWORD_ITERATIONS = PBKDF2_PRODUCTION_CAP;

/** Below this a hash is too cheap to be worth having (tests may go lower through hashPassword). */
const MIN_CONFIGURED_ITERATIONS = 10_000;

const SCHEME = "pbkdf2-sha256";
const VERSION = 1;
const SALT_BYTES = 16;
const HASH_BITS = 256;
const FORMAT = /^\$pbkdf2-sha256\$v=(\d+),i=(\d+)\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/;

/**
 * The iteration count this deployment hashes new passwords with: PASSWORD_HASH_ITERATIONS
 * (wrangler.toml `[vars]`) or the default.
 *
 * @throws {RangeError} when it is not a whole number from 10,000 to the production cap.
 */
export function configuredIterations(env: { PASSWORD_HASH_ITERATIONS?: string }): number {
  const raw = env.PASSWORD_HASH_ITERATIONS;
  const iterations = raw === undefined || raw === "" ? DEFAULT_PASSWORD_ITERATIONS : Number(raw);
  assertIterations(iterations, MIN_CONFIGURED_ITERATIONS);
  return iterations;
}

function assertIterations(iterations: number, min: number) {
  if (!Number.isInteger(iterations) || iterations < min || iterations > PBKDF2_PRODUCTION_CAP) {
    throw new RangeError(
      `PASSWORD_HASH_ITERATIONS must be a whole number from ${min} to ${PBKDF2_PRODUCTION_CAP} (deployed Workers refuse more PBKDF2 iterations, although wrangler dev allows them); got ${iterations}.`,
    );
  }
}

async function derive(password: string, pepper: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const peppered = await pepperMac(pepper, "password", password.normalize("NFC"));
  const material = await crypto.subtle.importKey("raw", peppered, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    HASH_BITS,
  );
  return new Uint8Array(bits);
}

/**
 * Hashes a password for storage.
 *
 * @example
 * const stored = await hashPassword("correct horse battery", pepperOf(env), configuredIterations(env));
 */
export async function hashPassword(password: string, pepper: string, iterations: number): Promise<string> {
  assertIterations(iterations, 1);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, pepper, salt, iterations);
  return `$${SCHEME}$v=${VERSION},i=${iterations}$${base64url(salt)}$${base64url(hash)}`;
}

/** The parameters of a stored hash, or null when it is not one of ours. */
export function parsePasswordHash(stored: string): { version: number; iterations: number } | null {
  const match = FORMAT.exec(stored);
  if (!match) return null;
  return { version: Number(match[1]), iterations: Number(match[2]) };
}

export interface PasswordCheck {
  valid: boolean;
  /** The hash is valid but older than today's scheme or cost: store a new one. */
  needsRehash: boolean;
}

/**
 * Checks a password against a stored hash, comparing every byte whatever the earlier ones were.
 * A hash that is not in a known format, or asks for more work than the platform allows, never
 * matches.
 */
export async function verifyPassword(
  password: string,
  stored: string,
  pepper: string,
  currentIterations: number,
): Promise<PasswordCheck> {
  const match = FORMAT.exec(stored);
  const salt = match ? fromBase64url(match[3] as string) : null;
  const expected = match ? fromBase64url(match[4] as string) : null;
  const iterations = Number(match?.[2]);
  if (
    !match ||
    !salt ||
    !expected ||
    Number(match[1]) !== VERSION ||
    !(iterations >= 1 && iterations <= PBKDF2_PRODUCTION_CAP)
  ) {
    return { valid: false, needsRehash: false };
  }
  const actual = await derive(password, pepper, salt, iterations);
  let difference = actual.length ^ expected.length;
  for (let i = 0; i < actual.length; i++) difference |= (actual[i] as number) ^ (expected[i] ?? 0);
  const valid = difference === 0;
  return { valid, needsRehash: valid && iterations !== currentIterations };
}

/**
 * The work of a failed verification without a user: what sign-in does for an unknown login id,
 * so its answer takes as long as a wrong password's and does not tell the two apart.
 */
export async function burnPasswordCheck(password: string, pepper: string, iterations: number): Promise<void> {
  await derive(password, pepper, new Uint8Array(SALT_BYTES), iterations);
}

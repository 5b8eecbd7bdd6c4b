/** Random identifiers and secrets, and constant-time comparison of their hashes. */

/** Digits and letters of both cases (62 characters): keys and secrets. */
export const ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Digits and lowercase letters (base 36): ids that go into names and URLs, where case may not survive. */
export const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A random string over `alphabet` (at most 256 characters). Rejection sampling keeps every
 * character uniform: a byte is used only below the largest multiple of the alphabet's size
 * (`byte % 36` alone would make the first 4 characters of base 36 more likely than the rest).
 */
export function randomString(length: number, alphabet: string = ALPHANUMERIC): string {
  if (alphabet.length < 2 || alphabet.length > 256) throw new RangeError("randomString: 2 to 256 characters");
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    // getRandomValues fills at most 64 KiB per call.
    const bytes = new Uint8Array(Math.min(65_536, (length - out.length) * 2));
    for (const byte of crypto.getRandomValues(bytes)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** Lowercase hex SHA-256 of a UTF-8 string. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares two strings without leaking where they differ. Both sides are hashed first so the
 * comparison always runs over the same 32 bytes, whatever the inputs' lengths, and every byte is
 * compared whatever the earlier ones were.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= (x[i] as number) ^ (y[i] as number);
  return difference === 0;
}

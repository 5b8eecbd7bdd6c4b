/** Sizes in UTF-8 bytes: what the platform's limits count (WebSocket frames, stored rows). */

/** The length of `text` in UTF-8 bytes. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Whether `text` is longer than `maxBytes` in UTF-8. Each UTF-16 unit is 1 to 3 bytes of UTF-8,
 * so the string's own length settles most cases without encoding it: more units than bytes
 * allowed is too long, and at most a third of that many always fits.
 */
export function exceedsUtf8Bytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return utf8Length(text) > maxBytes;
}

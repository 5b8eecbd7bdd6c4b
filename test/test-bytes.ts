/**
 * Deterministic test bytes from a xorshift generator, shared by the workerd and the end-to-end
 * tests: a repeating pattern would hide a misplaced block, and this one does not repeat soon, so
 * a block in the wrong place changes the digest.
 */
export function testBytes(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

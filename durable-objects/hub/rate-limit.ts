/**
 * How long a refused request holds back the requests after it when it is not retried (a client
 * that gave up on it). The SDK retries within the `retry_after_ms` it was given.
 */
export const HOLD_MS = 2000;

/**
 * A token bucket: `burst` tokens to start with, refilled at `ratePerSecond`, one token per request
 * frame. Buckets live in memory only: an object that hibernated was idle, so a fresh (full) bucket
 * after waking is exactly what the bucket would hold anyway.
 *
 * It keeps a connection's requests in order: once request `ref` is refused, every request with a
 * larger ref is refused too (without taking a token) until `ref` is sent again or {@link HOLD_MS}
 * pass. Otherwise a later publish could get through on a refilled token before an earlier one is
 * retried, and one publisher's messages would be stored out of order.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;
  /** The ref of the refused request that holds back later ones, or null. */
  #heldAfter: number | null = null;
  #heldUntil = 0;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /**
   * Takes one token for the request `ref` (null for a frame that is not a request). Returns 0 when
   * it may go ahead, otherwise how many milliseconds to wait before retrying (it takes nothing).
   */
  take(now: number, ref: number | null = null): number {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    this.#updatedAt = now;
    if (this.#heldAfter !== null && (now >= this.#heldUntil || (ref !== null && ref <= this.#heldAfter))) {
      this.#heldAfter = null;
    }
    const held = this.#heldAfter !== null && ref !== null && ref > this.#heldAfter;
    if (!held && this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    const wait = Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond));
    if (!held && ref !== null) {
      this.#heldAfter = ref;
      this.#heldUntil = now + wait + HOLD_MS;
    }
    return wait;
  }
}

/**
 * A token bucket: `burst` tokens to start with, refilled at `ratePerSecond`, one token per request
 * frame. Buckets live in memory only: an object that hibernated was idle, so a fresh (full) bucket
 * after waking is exactly what the bucket would hold anyway.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /**
   * Takes one token. Returns 0 when it was available, otherwise how many milliseconds until one
   * will be (the request is refused and takes nothing).
   */
  take(now: number): number {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    this.#updatedAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond);
  }
}

/**
 * Flow control of one direction of one tunnel stream (core/protocol/tunnel.ts), the same code on
 * both ends: the sender holds a {@link SendWindow} and waits on it before each `data` frame; the
 * receiver holds a {@link ReceiveWindow}, refuses bytes beyond what it granted and grants more as
 * it hands bytes on.
 *
 * @module
 */
import { INITIAL_WINDOW_BYTES, WINDOW_UPDATE_THRESHOLD } from "./tunnel.js";

/**
 * The bytes a sender may still send. `take` waits until the receiver has granted some, so the
 * sender uses the window to the byte, however its body happens to be chunked.
 */
export class SendWindow {
  #available = INITIAL_WINDOW_BYTES;
  #waiters: { most: number; resolve: (bytes: number) => void; reject: (error: unknown) => void }[] = [];
  #failure: { error: unknown } | null = null;

  get available(): number {
    return this.#available;
  }

  /** The receiver granted `bytes` more (a `window` frame). */
  grant(bytes: number): void {
    this.#available += bytes;
    this.#wake();
  }

  /**
   * Resolves with how many bytes (1 to `most`) may be sent now, and counts them as sent; waits
   * while the window is empty. Rejects once the stream is over.
   */
  take(most: number): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ most, resolve, reject });
      this.#wake();
    });
  }

  /** The stream is over: every waiting and later `take` rejects with `error`. */
  fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = { error };
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  #wake(): void {
    // In order, so pieces go out in the order they were asked for.
    while (this.#available > 0) {
      const next = this.#waiters.shift();
      if (!next) return;
      const bytes = Math.min(next.most, this.#available);
      this.#available -= bytes;
      next.resolve(bytes);
    }
  }
}

/** The bytes a receiver has allowed and not yet received, and what it owes the sender. */
export class ReceiveWindow {
  #allowed = INITIAL_WINDOW_BYTES;
  #handedOn = 0;

  /** Counts received bytes; false when they are beyond the window (the sender broke the rules). */
  receive(bytes: number): boolean {
    if (bytes > this.#allowed) return false;
    this.#allowed -= bytes;
    return true;
  }

  /**
   * Counts bytes handed on (to the reader, the local server). Returns the bytes to grant now in a
   * `window` frame, or 0 while too few are owed to be worth a frame.
   */
  handedOn(bytes: number): number {
    this.#handedOn += bytes;
    if (this.#handedOn < WINDOW_UPDATE_THRESHOLD) return 0;
    const grant = this.#handedOn;
    this.#handedOn = 0;
    this.#allowed += grant;
    return grant;
  }
}

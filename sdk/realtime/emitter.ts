/** A listener; the returned function (from `on`) removes it. */
export type Listener<T> = (event: T) => void;

/** Removes the listener it was returned for. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * A tiny listener set. A listener that throws does not stop the others, and its error is
 * rethrown asynchronously (so it still reaches the console and error reporters) instead of
 * breaking the SDK's own state machine.
 */
export class Emitter<T> {
  #listeners = new Set<Listener<T>>();

  on(listener: Listener<T>): Unsubscribe {
    // Wrapped so the same function can be added twice and removed independently.
    const entry: Listener<T> = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(event: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }

  get size(): number {
    return this.#listeners.size;
  }
}

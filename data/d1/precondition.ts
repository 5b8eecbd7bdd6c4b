/**
 * What a request depends on that can change under it (a key's revocation, a project's origins, a
 * collection's rules), checked inside the request's own D1 trips instead of trips of its own:
 * its statement joins the request's first batch and is checked before anything that batch read is
 * used; its guard joins the request's write batch, where it aborts the transaction when the
 * precondition stopped holding since. Deployed, each trip is tens of milliseconds, so folding
 * these checks into the operation's batch is what makes a request one trip.
 *
 * @module
 */

export interface Precondition {
  /** Reads what the request depends on (one statement of the request's first batch). */
  read(db: D1Database): D1PreparedStatement;
  /** Checks that statement's result; throws (an `ApiError`) when the request may not go on. */
  check(result: D1Result | undefined): void;
  /**
   * A statement for a write batch that aborts it, through the `write_guards` trigger
   * (migrations/0002), when the precondition no longer holds.
   */
  guard(db: D1Database): D1PreparedStatement;
}

/**
 * Runs `statements` in one batch after the preconditions' reads, checks the preconditions (in
 * order; the first that fails throws) and returns the statements' results.
 */
export async function batchChecked(
  db: D1Database,
  preconditions: readonly Precondition[],
  statements: readonly D1PreparedStatement[],
): Promise<D1Result[]> {
  const results = await db.batch([...preconditions.map((p) => p.read(db)), ...statements]);
  preconditions.forEach((precondition, i) => {
    precondition.check(results[i]);
  });
  return results.slice(preconditions.length);
}

/** Checks preconditions on their own: one trip (what a request that cannot fold them pays). */
export async function checkPreconditions(db: D1Database, preconditions: readonly Precondition[]): Promise<void> {
  if (preconditions.length > 0) await batchChecked(db, preconditions, []);
}

/** Keeps at most `max` entries, dropping the least recently set: a per-isolate cache's bound. */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();
  constructor(readonly max: number) {}

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}

import { ApiError } from "../../core/errors";
import type { Caller } from "../../core/query";
import { batchChecked, type Precondition } from "../d1/precondition";
import { CollectionAccess, settingsRowOf } from "./access";

/** The statements of one read and how to turn their results into the answer. */
export interface PlannedRead<T> {
  statements: D1PreparedStatement[];
  /** The answer, from the statements' results, under the rules just read. */
  finish(results: D1Result[], access: CollectionAccess): T;
  /** True when the statements do not depend on the rules (a get by id checks them afterwards). */
  rulesFree?: boolean;
}

/**
 * A read of a collection in one D1 trip: the preconditions (the caller's standing), the
 * collection's rules and the read itself, in one batch. A list's SQL holds the list rule, so it is
 * built under the rules this isolate last read for the collection; when the batch shows they
 * changed (or had never been read here), the read is built again under the rules just read and
 * sent again: a second trip, once per isolate and rule change, never an answer under old rules.
 */
export async function readCollection<T>(
  db: D1Database,
  auth: Caller,
  collection: string,
  preconditions: readonly Precondition[],
  plan: (access: CollectionAccess) => PlannedRead<T>,
): Promise<T> {
  const settings = CollectionAccess.settingsRead(db, auth, collection);
  const guess = CollectionAccess.lastSeen(auth, collection);
  let planned: PlannedRead<T> | null;
  try {
    planned = plan(guess);
  } catch (error) {
    // Under the old rules the read is refused (no list rule): the current rules decide.
    if (!(error instanceof ApiError)) throw error;
    planned = null;
  }
  const results = await batchChecked(db, preconditions, [
    ...(settings ? [settings] : []),
    ...(planned?.statements ?? []),
  ]);
  const access = settings ? CollectionAccess.fromSettings(auth, collection, settingsRowOf(results[0])) : guess;
  if (planned && (planned.rulesFree || guess.sameRules(access))) {
    return planned.finish(settings ? results.slice(1) : results, access);
  }
  const again = plan(access);
  return again.finish(await db.batch(again.statements), access);
}

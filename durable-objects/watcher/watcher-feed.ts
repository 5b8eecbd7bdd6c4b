import { getCollectionSettings } from "../../data/documents/collection-settings";
import { type ChangesRead, readChanges } from "../../data/documents/outbox";
import { type WatchRules, watchRules } from "./watcher-events";

/**
 * What a watcher reads from D1: the head of a collection's change feed, pages of changes (the
 * documents layer's `readChanges`) and the collection's rules. The watcher reads D1 directly;
 * nothing here writes.
 */

/** Where a collection's change feed stands: its last sequence and the last one pruned. */
export interface FeedHead {
  seq: number;
  pruned_through: number;
}

/** The statement that reads the feed's head (for use inside a batch). */
export function headStatement(db: D1Database, projectId: string, collection: string): D1PreparedStatement {
  return db
    .prepare("SELECT seq, pruned_through FROM collection_sequences WHERE project_id = ? AND collection = ?")
    .bind(projectId, collection);
}

/** The head of the feed (0 and 0 before the collection's first write). */
export async function readHead(db: D1Database, projectId: string, collection: string): Promise<FeedHead> {
  return (await headStatement(db, projectId, collection).first<FeedHead>()) ?? { seq: 0, pruned_through: 0 };
}

/** The first row of a batch result holding {@link headStatement}. */
export function headOf(result: D1Result | undefined): FeedHead {
  return (result?.results[0] as FeedHead | undefined) ?? { seq: 0, pruned_through: 0 };
}

/**
 * One collection's change feed and rules, as its watcher reads them. Rules are parsed once per
 * rules text, so reading them on every delivery costs one small query and no parse while they do
 * not change.
 */
export class CollectionFeed {
  #rules: WatchRules | null = null;

  constructor(
    readonly db: D1Database,
    readonly projectId: string,
    readonly collection: string,
  ) {}

  /** Up to `limit` changes after `since`, oldest first, or that changes after `since` were pruned. */
  read(since: number, limit: number): Promise<ChangesRead> {
    return readChanges(this.db, this.projectId, this.collection, since, limit);
  }

  /** Where the feed stands now. */
  head(): Promise<FeedHead> {
    return readHead(this.db, this.projectId, this.collection);
  }

  /** The collection's rules, as they are now. */
  async rules(): Promise<WatchRules> {
    const { rules } = await getCollectionSettings(this.db, this.projectId, this.collection);
    const text = JSON.stringify(rules);
    if (this.#rules?.text !== text) this.#rules = watchRules(rules);
    return this.#rules;
  }
}

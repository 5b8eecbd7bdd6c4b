import { type AuthValues, type FilterNode, parseExpression, TRUE } from "../../core/query";
import { resolvePath } from "../../core/query/values";
import { equalityKeys, valueKey } from "./watcher-equality";

/** A subscription's filter, parsed once and shared by every subscriber with the same text. */
export interface FilterRef {
  /** The normalized filter text (`formatFilter`), "" for no filter: equal texts are one group. */
  readonly key: string;
  readonly node: FilterNode;
}

/** Who a subscriber is for the rules: subscribers with equal keys see exactly the same documents. */
export interface AudienceRef {
  /** `"*"` for a secret key (rules do not apply), else the serialized auth values. */
  readonly key: string;
  readonly auth: AuthValues;
  readonly bypass: boolean;
}

/** Where a subscriber stands (see watcher-lifecycle.ts for the transitions). */
export type SubscriberState = "starting" | "snapshot" | "catching_up" | "ahead" | "live" | "closed";

/** One watching connection, as the watcher keeps it in memory (rebuilt from attachments on wake). */
export interface Subscriber {
  readonly ws: WebSocket;
  readonly filter: FilterRef;
  readonly audience: AudienceRef;
  /** When its token expires (epoch ms); Infinity for a key. */
  readonly expiresAt: number;
  state: SubscriberState;
  /** The last sequence this subscriber holds every change through. */
  cursor: number;
  /** Bumped when its stream restarts (snapshot, close), so async work for an older run stops. */
  run: number;
  /** Called once it follows the live stream (or is closed). */
  waiters: (() => void)[];
}

/**
 * The parsed filters of a watcher's subscribers, one per distinct text, counted so that a filter is
 * parsed once while anyone uses it and forgotten after the last one leaves.
 */
export class FilterRefs {
  #entries = new Map<string, { ref: FilterRef; users: number }>();

  /**
   * The shared filter for `text` (null: no filter), counted as one more user.
   *
   * @throws {ApiError} `invalid_filter` when `text` does not parse.
   */
  acquire(text: string | null): FilterRef {
    const key = text ?? "";
    const entry = this.#entries.get(key);
    if (entry) {
      entry.users++;
      return entry.ref;
    }
    const ref: FilterRef = { key, node: text === null ? TRUE : parseExpression(text) };
    this.#entries.set(key, { ref, users: 1 });
    return ref;
  }

  /** One user fewer of `ref`. */
  release(ref: FilterRef): void {
    const entry = this.#entries.get(ref.key);
    if (entry && --entry.users === 0) this.#entries.delete(ref.key);
  }
}

/** Live subscribers with the same filter and the same audience: they get identical frames. */
export interface Audience {
  readonly ref: AudienceRef;
  readonly members: Set<Subscriber>;
}

/** Live subscribers with the same filter, by audience: the filter is evaluated once per change. */
export interface FilterGroup {
  readonly filter: FilterRef;
  readonly audiences: Map<string, Audience>;
}

interface IndexedPath {
  readonly path: readonly string[];
  readonly groups: Map<string, Set<FilterGroup>>;
}

/**
 * The live subscribers of a watcher, organised so that one change costs work in proportion to the
 * subscribers it may concern, not to all of them:
 * - identical filters form one group, evaluated once per change, whatever its member count;
 * - within a group, members with the same auth form one audience, whose rule check and frame are
 *   computed once;
 * - groups whose filter implies an equality (see watcher-equality.ts) are indexed by field and
 *   value, so a change only reaches the groups indexed under the values its documents hold, plus
 *   the groups that cannot be indexed.
 */
export class SubscriptionIndex {
  #groups = new Map<string, FilterGroup>();
  #paths = new Map<string, IndexedPath>();
  #scan = new Set<FilterGroup>();
  #size = 0;

  /** Live subscribers. */
  get size(): number {
    return this.#size;
  }

  /** Distinct filters among them. */
  get groupCount(): number {
    return this.#groups.size;
  }

  add(subscriber: Subscriber): void {
    let group = this.#groups.get(subscriber.filter.key);
    if (!group) {
      group = { filter: subscriber.filter, audiences: new Map() };
      this.#groups.set(subscriber.filter.key, group);
      this.#indexGroup(group, true);
    }
    let audience = group.audiences.get(subscriber.audience.key);
    if (!audience) {
      audience = { ref: subscriber.audience, members: new Set() };
      group.audiences.set(subscriber.audience.key, audience);
    }
    if (!audience.members.has(subscriber)) {
      audience.members.add(subscriber);
      this.#size++;
    }
  }

  remove(subscriber: Subscriber): void {
    const group = this.#groups.get(subscriber.filter.key);
    const audience = group?.audiences.get(subscriber.audience.key);
    if (!group || !audience?.members.delete(subscriber)) return;
    this.#size--;
    if (audience.members.size > 0) return;
    group.audiences.delete(subscriber.audience.key);
    if (group.audiences.size > 0) return;
    this.#groups.delete(subscriber.filter.key);
    this.#indexGroup(group, false);
  }

  /** Every live subscriber. */
  *subscribers(): Iterable<Subscriber> {
    for (const group of this.#groups.values()) {
      for (const audience of group.audiences.values()) yield* audience.members;
    }
  }

  /** The groups whose filter may match `before` or `after` (the change's old and new document). */
  candidates(before: unknown, after: unknown): Set<FilterGroup> {
    const found = new Set<FilterGroup>(this.#scan);
    for (const { path, groups } of this.#paths.values()) {
      for (const doc of [before, after]) {
        if (doc === null || doc === undefined) continue;
        const key = valueKey(resolvePath(doc, path));
        if (key === null) continue;
        const hit = groups.get(key);
        if (hit) for (const group of hit) found.add(group);
      }
    }
    return found;
  }

  #indexGroup(group: FilterGroup, add: boolean): void {
    const keys = equalityKeys(group.filter.node);
    if (!keys) {
      if (add) this.#scan.add(group);
      else this.#scan.delete(group);
      return;
    }
    const pathKey = keys.path.join(".");
    let indexed = this.#paths.get(pathKey);
    if (!indexed) {
      if (!add) return;
      indexed = { path: keys.path, groups: new Map() };
      this.#paths.set(pathKey, indexed);
    }
    for (const key of keys.keys) {
      let groups = indexed.groups.get(key);
      if (add) {
        if (!groups) {
          groups = new Set();
          indexed.groups.set(key, groups);
        }
        groups.add(group);
      } else if (groups) {
        groups.delete(group);
        if (groups.size === 0) indexed.groups.delete(key);
      }
    }
    if (indexed.groups.size === 0) this.#paths.delete(pathKey);
  }
}

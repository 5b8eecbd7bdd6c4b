import type { Change, CollectionRules } from "../../core/documents/wire";
import type { WatchEventType } from "../../core/protocol/watcher";
import { type FilterNode, matches, parseRule } from "../../core/query";
import type { Audience, AudienceRef, FilterRef, SubscriptionIndex } from "./watcher-subscriptions";

/**
 * The rules a watcher applies, parsed once per rules text. A subscriber (other than a secret key)
 * sees a document when the `read` rule allows it, and the `list` rule too when the collection has
 * one: a watcher is a live list of readable documents, so it never shows more than either would.
 * Without a `read` rule only secret keys may watch.
 */
export interface WatchRules {
  /** The rules' JSON text, to tell when they changed. */
  readonly text: string;
  readonly read: FilterNode | null;
  readonly list: FilterNode | null;
}

/** Parses a collection's rules for watching. */
export function watchRules(rules: CollectionRules): WatchRules {
  return {
    text: JSON.stringify(rules),
    read: rules.read ? parseRule(rules.read) : null,
    list: rules.list ? parseRule(rules.list) : null,
  };
}

/** May this audience see `doc` (a document's data) under `rules`? */
export function allowedTo(rules: WatchRules, audience: AudienceRef, doc: unknown): boolean {
  if (audience.bypass) return true;
  if (!rules.read) return false;
  const scope = { doc, auth: audience.auth };
  return matches(rules.read, scope) && (rules.list === null || matches(rules.list, scope));
}

/** Does a subscriber with `filter` and `audience` see `doc`? */
export function visibleTo(rules: WatchRules, filter: FilterRef, audience: AudienceRef, doc: unknown): boolean {
  return doc !== null && doc !== undefined && matches(filter.node, { doc }) && allowedTo(rules, audience, doc);
}

/**
 * One change, as each subscriber sees it. Work is shared across subscribers: the filter is
 * evaluated once per distinct filter, the rules once per distinct audience, and each event kind is
 * serialized once (the document data once for all of them).
 */
export class ChangeEvents {
  #filters = new Map<string, number>();
  #allowed = new Map<string, number>();
  #serialized = new Map<WatchEventType, string>();
  #data: string | null = null;
  #old: string | null = null;

  constructor(
    readonly change: Change,
    readonly rules: WatchRules,
  ) {}

  /** The serialized event a subscriber with `filter` and `audience` gets, or null when none. */
  eventFor(filter: FilterRef, audience: AudienceRef): string | null {
    const matched = this.#memo(this.#filters, filter.key, (doc) => matches(filter.node, { doc }));
    if (matched === 0) return null;
    const allowed = this.#memo(this.#allowed, audience.key, (doc) => allowedTo(this.rules, audience, doc));
    const seen = matched & allowed;
    const event = classify(this.change.op, (seen & 1) !== 0, (seen & 2) !== 0);
    return event === null ? null : this.#serialize(event);
  }

  /**
   * Bit 1: `test` holds for the old document; bit 2: for the new one. Memoized by `key`, since
   * every subscriber with the same filter (or audience) gets the same answer.
   */
  #memo(cache: Map<string, number>, key: string, test: (doc: unknown) => boolean): number {
    let bits = cache.get(key);
    if (bits === undefined) {
      const { old_data, data } = this.change;
      bits = (old_data !== null && test(old_data) ? 1 : 0) | (data !== null && test(data) ? 2 : 0);
      cache.set(key, bits);
    }
    return bits;
  }

  #serialize(event: WatchEventType): string {
    let text = this.#serialized.get(event);
    if (text === undefined) {
      const { seq, id, created_at } = this.change;
      const withData = event === "create" || event === "update" || event === "enter";
      const withOld = event === "update" || event === "delete" || event === "leave";
      if (withData) this.#data ??= JSON.stringify(this.change.data);
      if (withOld) this.#old ??= JSON.stringify(this.change.old_data);
      const data = withData ? this.#data : "null";
      const old = withOld ? this.#old : "null";
      text = `{"seq":${seq},"event":"${event}","id":${JSON.stringify(id)},"data":${data},"old_data":${old},"timestamp":${Date.parse(created_at)}}`;
      this.#serialized.set(event, text);
    }
    return text;
  }
}

/**
 * The events each live audience gets for `changes`, in change order. A change is checked only
 * against the filter groups it may concern (see {@link SubscriptionIndex.candidates}).
 */
export function eventsByAudience(
  live: SubscriptionIndex,
  changes: readonly Change[],
  rules: WatchRules,
): Map<Audience, string[]> {
  const pending = new Map<Audience, string[]>();
  for (const change of changes) {
    const events = new ChangeEvents(change, rules);
    for (const group of live.candidates(change.old_data, change.data)) {
      for (const audience of group.audiences.values()) {
        const event = events.eventFor(group.filter, audience.ref);
        if (event === null) continue;
        const list = pending.get(audience);
        if (list) list.push(event);
        else pending.set(audience, [event]);
      }
    }
  }
  return pending;
}

/** The event of a change whose old document was `before` visible and whose new one is `after`. */
export function classify(op: Change["op"], before: boolean, after: boolean): WatchEventType | null {
  if (op === "create") return after ? "create" : null;
  if (op === "delete") return before ? "delete" : null;
  if (before && after) return "update";
  if (after) return "enter";
  return before ? "leave" : null;
}

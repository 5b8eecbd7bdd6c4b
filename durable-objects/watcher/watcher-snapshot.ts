import type { Change } from "../../core/documents/wire";
import { ApiError } from "../../core/errors";
import type { WatchedDocument } from "../../core/protocol/watcher";
import { and, type Caller } from "../../core/query";
import { compareStrings } from "../../core/query/values";
import { CollectionAccess } from "../../data/documents/access";
import { encodeCursor } from "../../data/documents/cursor";
import { listStatement } from "../../data/documents/list-query";
import { readChanges } from "../../data/documents/outbox";
import { type Json, toJson } from "../hub/frames";
import { visibleTo, type WatchRules } from "./watcher-events";
import { headOf, headStatement } from "./watcher-feed";
import { snapshotFrames, snapshotRemovedFrame, watchedDocumentJson } from "./watcher-frames";
import type { AudienceRef, FilterRef } from "./watcher-subscriptions";

/** Documents per D1 read of a snapshot (each page is one query, read with the feed's head). */
const SNAPSHOT_PAGE = 100;
/** Changes per read while fixing up the pages read earlier. */
const FIX_UP_PAGE = 200;

/** What a snapshot is taken for, and where its frames go. */
export interface SnapshotSource {
  db: D1Database;
  projectId: string;
  collection: string;
  filter: FilterRef;
  audience: AudienceRef;
  rules: WatchRules;
  limit: number;
  frameItems: number;
  frameBytes: number;
  /** Sends a frame to the subscriber. */
  send(frame: string): void;
  /** False once the subscriber is gone or restarted: the snapshot stops. */
  wanted(): boolean;
}

export interface SnapshotResult {
  /** The sequence the snapshot stands at: it holds every change through it, none after. */
  seq: number;
  count: number;
  truncated: boolean;
}

/** A page read: the ids it covers (after the previous page's last id, through `last`) and when. */
interface PageRange {
  /** The last id the page covers; null for "every id after the previous page". */
  last: string | null;
  seq: number;
}

/**
 * Sends the documents a subscriber sees now, in `snapshot` frames, and returns the sequence S the
 * result stands at. Pages are read by id, each in one D1 batch with the feed's head, so page i is
 * exact at its own sequence S_i. Changes between the first page's S_1 and the last one's S are then
 * read from the feed, and every document of an earlier page that changed after its page was read
 * is sent again (or dropped) as it stands at S. The frames, applied in order, give the exact set at
 * S, without holding the whole snapshot in memory.
 *
 * @throws {ApiError} `forbidden` when rules forbid this subscriber to read; `internal` when the
 * feed was pruned under the snapshot (retry).
 */
export async function takeSnapshot(source: SnapshotSource): Promise<SnapshotResult | null> {
  const { db, projectId, collection, audience } = source;
  if (!audience.bypass && !source.rules.read) {
    throw new ApiError("forbidden", `Collection "${collection}" has no read rule, so only secret keys may watch it.`);
  }
  const access = await CollectionAccess.load(db, callerOf(projectId, audience), collection);
  const filter =
    audience.bypass || !source.rules.read ? source.filter.node : and(source.filter.node, source.rules.read);
  const ids = new Set<string>();
  const ranges: PageRange[] = [];
  let cursor: string | null = null;
  let more = true;
  while (more && ids.size < source.limit) {
    const limit = Math.min(SNAPSHOT_PAGE, source.limit - ids.size);
    const options = { filter, sort: [], limit, offset: 0, cursor, select: null, exclude: null, total: false };
    const statement = listStatement(projectId, collection, access, options);
    const [rows, head] = await db.batch([
      db.prepare(statement.sql).bind(...statement.params),
      headStatement(db, projectId, collection),
    ]);
    if (!source.wanted()) return null;
    const found = (rows?.results ?? []) as { id: string; data: string }[];
    const page = found.slice(0, limit);
    more = found.length > limit;
    const items = page.map((row) => watchedDocumentJson(row.id, row.data));
    for (const frame of snapshotFrames(items, source.frameItems, source.frameBytes)) source.send(frame);
    for (const row of page) ids.add(row.id);
    const last = page.at(-1)?.id ?? null;
    ranges.push({ last: more ? last : null, seq: headOf(head).seq });
    if (more && last !== null) cursor = encodeCursor({ sort: statement.signature, values: [], id: last });
  }
  // When the limit cut the result (`more`), the last page covers only the ids it holds.
  const seq = (ranges.at(-1) as PageRange).seq;
  if (!(await fixUp(source, ranges, ids, seq))) return null;
  return { seq, count: ids.size, truncated: more };
}

/**
 * Brings the pages read before the last one to sequence `seq`: for every document that changed
 * after its page was read, the last such change decides whether it is sent again or dropped.
 */
async function fixUp(source: SnapshotSource, ranges: PageRange[], ids: Set<string>, seq: number): Promise<boolean> {
  const first = (ranges[0] as PageRange).seq;
  if (first === seq) return true;
  const latest = new Map<string, Change>();
  let since = first;
  while (since < seq) {
    const read = await readChanges(source.db, source.projectId, source.collection, since, FIX_UP_PAGE);
    if (read.pruned) {
      throw new ApiError("internal", "The collection changed faster than a snapshot could be taken; ask again.");
    }
    const { page } = read;
    if (!source.wanted()) return false;
    if (page.items.length === 0) break;
    for (const change of page.items) {
      if (change.seq > seq) break;
      const range = rangeOf(ranges, change.id);
      if (range && change.seq > range.seq) latest.set(change.id, change);
      since = change.seq;
    }
  }
  const items: Json<WatchedDocument>[] = [];
  const removed: string[] = [];
  for (const [id, change] of latest) {
    if (visibleTo(source.rules, source.filter, source.audience, change.data)) {
      items.push(toJson({ id, data: change.data as WatchedDocument["data"] }));
      ids.add(id);
    } else if (ids.delete(id)) {
      removed.push(id);
    }
  }
  const frames = snapshotFrames(items, source.frameItems, source.frameBytes);
  if (removed.length > 0) frames.push(snapshotRemovedFrame(removed));
  for (const frame of frames) source.send(frame);
  return true;
}

/** The page whose id range holds `id` (ranges are consecutive, in id order), or null past the last. */
function rangeOf(ranges: readonly PageRange[], id: string): PageRange | null {
  let low = 0;
  let high = ranges.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    const last = (ranges[mid] as PageRange).last;
    if (last === null || compareStrings(id, last) <= 0) high = mid;
    else low = mid + 1;
  }
  const range = ranges[low] as PageRange | undefined;
  if (!range) return null;
  return range.last === null || compareStrings(id, range.last) <= 0 ? range : null;
}

/** The caller a subscriber's rules are evaluated as (the identity the Worker verified). */
function callerOf(projectId: string, audience: AudienceRef): Caller {
  const { auth } = audience;
  return {
    projectId,
    kind: audience.bypass ? "secret" : (auth.kind as Caller["kind"]),
    userId: auth.id,
    role: auth.role,
    claims: auth.claims,
  };
}

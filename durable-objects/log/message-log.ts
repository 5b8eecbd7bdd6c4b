import { ApiError } from "../../core/errors";
import type { ResumeResult } from "../../core/protocol/channel";
import { exceedsUtf8Bytes } from "../../core/utf8";
import type { Json } from "../hub/frames";
import type { HubLimits } from "../hub/limits";
import { DedupWindow } from "./dedup";
import { ReplayBuffer } from "./replay-buffer";

/** The limits a message log works under (read on every call, so `configure` applies at once). */
export type LogLimits = Pick<HubLimits, "replay_max_count" | "replay_max_age_ms" | "dedup_window_ms">;

/** What appending a message resolved to. */
export interface Appended<Item> {
  seq: number;
  timestamp: number;
  /** The stored message, serialized, to deliver; null for a duplicate (nothing to deliver again). */
  json: Json<Item> | null;
}

/**
 * The stored messages of a realtime object (a channel's, a room's chat): a gap-free sequence, the
 * replay buffer behind resume and history, and the dedup window that makes sends exactly-once.
 *
 * A message gets its seq in the same synchronous turn that writes it and its dedup key to the
 * object's SQLite storage (one implicit transaction; no other event can interleave), and the
 * runtime's output gate holds every reply and delivery until that write is durable, so no client
 * ever sees a seq that could be lost.
 */
export class MessageLog<Item> {
  readonly #buffer: ReplayBuffer;
  readonly #dedup: DedupWindow;

  constructor(
    sql: SqlStorage,
    private readonly limits: () => LogLimits,
  ) {
    this.#buffer = new ReplayBuffer(sql);
    this.#dedup = new DedupWindow(sql);
  }

  /** The last assigned seq (0 before the first message). */
  get head(): number {
    return this.#buffer.head;
  }

  /** The oldest seq still held (`head + 1` when none is). */
  get floor(): number {
    return this.#buffer.floor;
  }

  /** How many messages are held. */
  get count(): number {
    return this.#buffer.count;
  }

  /**
   * Stores the next message under `dedupKey` (see {@link DedupWindow.key}). `serialize(seq)` builds
   * it; it runs before anything is written, so a message it refuses (by throwing) leaves no trace.
   * A key already used within the window returns the original seq and timestamp, and no JSON.
   */
  append(dedupKey: string, timestamp: number, serialize: (seq: number) => Json<Item>): Appended<Item> {
    const seq = this.#buffer.head + 1;
    const json = serialize(seq);
    const original = this.#dedup.claim(dedupKey, seq, timestamp);
    if (original) return { seq: original.seq, timestamp: original.timestamp, json: null };
    this.#buffer.append(seq, timestamp, json);
    this.trim(timestamp, false);
    return { seq, timestamp, json };
  }

  /**
   * Decides a resume: exactly the messages after `sinceSeq` when the buffer still holds them all,
   * otherwise an explicit gap (with what is left, or nothing on a reset: another `epoch`, or a
   * `sinceSeq` ahead of the log).
   */
  resume(
    sinceSeq: number | null,
    epoch: string | null,
    currentEpoch: string,
  ): { resume: ResumeResult | null; replay: Json<Item>[] } {
    if (sinceSeq === null) return { resume: null, replay: [] };
    this.trim(Date.now(), true);
    const { head, floor } = this.#buffer;
    if ((epoch !== null && epoch !== currentEpoch) || sinceSeq > head) {
      return {
        resume: {
          status: "gap",
          reason: "reset",
          since_seq: sinceSeq,
          missed_from: null,
          missed_to: null,
          replayed: 0,
        },
        replay: [],
      };
    }
    if (sinceSeq >= floor - 1) {
      const replay = this.#buffer.after(sinceSeq) as Json<Item>[];
      return { resume: { status: "ok", since_seq: sinceSeq, replayed: replay.length }, replay };
    }
    const replay = this.#buffer.after(floor - 1) as Json<Item>[];
    return {
      resume: {
        status: "gap",
        reason: "too_old",
        since_seq: sinceSeq,
        missed_from: sinceSeq + 1,
        missed_to: floor - 1,
        replayed: replay.length,
      },
      replay,
    };
  }

  /** Up to `limit` messages older than `beforeSeq` (the latest when null), newest first. */
  before(beforeSeq: number | null, limit: number): { items: Json<Item>[]; nextBeforeSeq: number | null } {
    this.trim(Date.now(), true);
    const page = this.#buffer.before(beforeSeq, limit);
    // The buffer holds what `append` stored: serialized items of this log.
    return { items: page.items as Json<Item>[], nextBeforeSeq: page.nextBeforeSeq };
  }

  /** Enforces the buffer's bounds and the dedup window (cheaply unless `force`). */
  trim(now: number, force: boolean): void {
    const limits = this.limits();
    this.#buffer.trim(limits.replay_max_count, limits.replay_max_age_ms, now, force);
    this.#dedup.trim(limits.dedup_window_ms, now);
  }
}

/**
 * Serializes a message once, for storage and every delivery. A socket frame was already checked
 * against `maxFrameBytes`; the message adds a little to what the client sent, so it gets 1 KiB of
 * slack (a REST publish is held to the same bound, and refused as `payload_too_large`).
 *
 * @throws {ApiError} `tooLarge` (`frame_too_large` unless given) above the bound.
 */
export function serializeMessage<T>(
  message: T,
  maxFrameBytes: number,
  tooLarge: "frame_too_large" | "payload_too_large" = "frame_too_large",
): Json<T> {
  const json = JSON.stringify(message) as Json<T>;
  const max = maxFrameBytes + 1024;
  if (exceedsUtf8Bytes(json, max)) {
    throw new ApiError(tooLarge, `A message may be at most ${maxFrameBytes} bytes.`, { max_bytes: maxFrameBytes });
  }
  return json;
}

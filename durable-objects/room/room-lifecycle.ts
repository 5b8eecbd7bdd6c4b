import { type DirectoryEntry, DirectoryWriter } from "../../data/rooms/room-directory";
import type { RoomConfig } from "./room-config";
import { Lifecycle, NEW_LIFECYCLE, type RoomRecord, readStored } from "./room-record";

/** How long a failed directory write waits before it is retried (by alarm). */
const DIRECTORY_RETRY_MS = 10_000;

/** What the life cycle needs from the room it belongs to. */
export interface LifecycleHost {
  /** The room's storage, for its alarm. */
  readonly storage: DurableObjectStorage;
  /** The project database, where the public directory lives. */
  readonly db: D1Database;
  record(): RoomRecord | null;
  participantCount(): number;
  settings(): RoomConfig;
  meta(key: string): string | null;
  setMeta(key: string, value: string): void;
}

/**
 * A room's life by alarms: its row in the public directory (D1) kept current without a write per
 * message, leaving the directory after `directory_idle_ms` without participants, and deletion
 * after `retention_ms`. Nothing runs while the room is idle but the one alarm set for the next of
 * these. The state that must survive eviction ({@link Lifecycle}) is kept in the room's meta.
 */
export class RoomLifecycle {
  #state: Lifecycle;
  #directory: DirectoryWriter | null = null;
  /** Latest activity (memory only; reaches storage when a directory write is put off). */
  #activityAt = 0;
  #lastDirectoryWrite = 0;
  /** The alarm as last set by this instance; undefined when unknown (after a wake-up). */
  #alarmAt: number | null | undefined = undefined;

  constructor(private readonly host: LifecycleHost) {
    this.#state = readStored(Lifecycle, host.meta("lifecycle")) ?? { ...NEW_LIFECYCLE };
  }

  get state(): Lifecycle {
    return this.#state;
  }

  /** Resolves once the directory writes asked for so far have been attempted. */
  settled(): Promise<void> {
    return this.#directory?.settled() ?? Promise.resolve();
  }

  /**
   * Runs what is due. Resolves `"purge"` when the room has outlived its retention and its
   * directory row is gone, so the room may delete its storage.
   */
  async alarm(now: number): Promise<"purge" | "keep"> {
    this.#alarmAt = undefined;
    if (this.#expired(now)) return (await this.#leaveDirectoryForGood()) ? "purge" : "keep";
    const record = this.host.record();
    const state = this.#state;
    if (record?.closed_at === null && this.host.participantCount() === 0 && state.empty_since !== null) {
      if (!state.unlisted && now >= state.empty_since + this.host.settings().directory_idle_ms) {
        this.#save({ ...state, unlisted: true });
        this.writeDirectory(now);
      }
    }
    if (this.#state.flush_at !== null && now >= this.#state.flush_at) this.writeDirectory(now);
    await this.settled();
    this.schedule();
    return "keep";
  }

  /** Someone joined or left: the life cycle, the directory's count and the alarm follow. */
  participantsChanged(now: number): void {
    if (!this.host.record()) return;
    const empty = this.host.participantCount() === 0;
    const state = this.#state;
    if (empty && state.empty_since === null) {
      this.#save({ ...state, empty_since: now });
    } else if (!empty && (state.empty_since !== null || state.unlisted)) {
      this.#save({ ...state, empty_since: null, unlisted: false });
    }
    this.#activityAt = now;
    this.writeDirectory(now);
    this.schedule();
  }

  /**
   * Messages, actions and state updates: `last_activity_at` reaches the directory at once when the
   * last write is older than the activity interval, otherwise with a write put off until then.
   */
  activity(now: number): void {
    this.#activityAt = now;
    if (!this.listed()) return;
    const due = this.#lastDirectoryWrite + this.host.settings().activity_interval_ms;
    if (now >= due) {
      this.writeDirectory(now);
    } else if (this.#state.flush_at === null) {
      this.#save({ ...this.#state, flush_at: due, activity_at: now });
      this.schedule();
    }
  }

  /** Makes the directory row what it should be now (present and current, or gone). */
  writeDirectory(now: number): void {
    const record = this.host.record();
    // A private room never has a row (its visibility never changes): nothing to write, ever.
    if (!record || record.visibility === "private") return;
    if (this.#state.flush_at !== null) this.#save({ ...this.#state, flush_at: null });
    this.#lastDirectoryWrite = now;
    this.#directory ??= this.#directoryWriter(record);
    this.#directory.want(this.listed() ? this.#directoryEntry(record) : null);
  }

  /** Whether the room belongs in the directory: public, open, and not idle past its idle time. */
  listed(): boolean {
    const record = this.host.record();
    return record !== null && record.visibility === "public" && record.closed_at === null && !this.#state.unlisted;
  }

  /** Sets the alarm to the next thing due (a put-off directory write, idle expiry, deletion), or none. */
  schedule(): void {
    const record = this.host.record();
    const { empty_since, unlisted, flush_at } = this.#state;
    const { retention_ms, directory_idle_ms } = this.host.settings();
    const due: number[] = [];
    if (record && record.closed_at !== null) {
      due.push(record.closed_at + retention_ms);
    } else if (record) {
      if (flush_at !== null) due.push(flush_at);
      if (empty_since !== null) {
        due.push(empty_since + retention_ms);
        if (!unlisted && record.visibility === "public") due.push(empty_since + directory_idle_ms);
      }
    }
    const next = due.length > 0 ? Math.min(...due) : null;
    if (next === this.#alarmAt) return;
    this.#alarmAt = next;
    void (next === null ? this.host.storage.deleteAlarm() : this.host.storage.setAlarm(next));
  }

  /**
   * On a wake-up: a room that believes it has participants but has no connection left lost their
   * close events (a restart drops sockets without telling the object). It counts as empty from
   * now, so its idle time and retention run, instead of it staying listed and alive forever.
   */
  noticeVanishedParticipants(): void {
    const record = this.host.record();
    if (!record || record.closed_at !== null || this.#state.empty_since !== null) return;
    if (this.host.participantCount() > 0) return;
    this.#save({ ...this.#state, empty_since: Date.now() });
    this.schedule();
  }

  /** Whether the room is due for deletion: closed, or empty, for longer than its retention. */
  #expired(now: number): boolean {
    const record = this.host.record();
    if (!record) return true;
    const since = record.closed_at ?? (this.host.participantCount() === 0 ? this.#state.empty_since : null);
    return since !== null && now >= since + this.host.settings().retention_ms;
  }

  /** Deletes the directory row before the room goes; false when the room must stay for now. */
  async #leaveDirectoryForGood(): Promise<boolean> {
    const record = this.host.record();
    if (record?.visibility !== "public") return true;
    // Always through the writer, even when this instance never wrote (woken by the alarm after an
    // eviction): a row left behind by a failed write must not outlive the room.
    this.#directory ??= this.#directoryWriter(record);
    if (this.#state.flush_at !== null) this.#save({ ...this.#state, flush_at: null });
    this.#directory.want(null);
    await this.#directory.settled();
    const retryAt = this.#state.flush_at;
    if (retryAt !== null) {
      // The row could not be deleted: keep the room (and its alarm) until it can.
      this.#alarmAt = retryAt;
      await this.host.storage.setAlarm(retryAt);
      return false;
    }
    // Someone may have joined while D1 answered (only storage calls hold other events back).
    if (!this.#expired(Date.now())) {
      this.writeDirectory(Date.now());
      this.schedule();
      return false;
    }
    return true;
  }

  #directoryWriter(record: RoomRecord): DirectoryWriter {
    return new DirectoryWriter(this.host.db, record.project_id, record.id, (error) => {
      console.error(`Room ${record.id}: directory write failed; retrying`, error);
      this.#save({ ...this.#state, flush_at: Date.now() + DIRECTORY_RETRY_MS });
      this.schedule();
    });
  }

  #directoryEntry(record: RoomRecord): DirectoryEntry {
    const activity = Math.max(this.#activityAt, this.#state.activity_at, record.created_at);
    return {
      id: record.id,
      title: record.title,
      participant_count: this.host.participantCount(),
      max_participants: record.max_participants,
      metadata: record.metadata,
      created_at: new Date(record.created_at).toISOString(),
      last_activity_at: new Date(activity).toISOString(),
    };
  }

  #save(state: Lifecycle): void {
    this.#state = state;
    this.host.setMeta("lifecycle", JSON.stringify(state));
  }
}

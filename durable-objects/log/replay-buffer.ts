/**
 * The bounded replay buffer: the last stored messages of an object, in its own SQLite storage, by
 * sequence number. It survives hibernation, eviction and restarts, and serves resume (everything
 * after a seq) and history (pages before a seq). Messages are kept serialized, exactly as they are
 * sent, so replaying never re-serializes.
 *
 * Bounds: at most `max_count` messages (trimmed in small batches, so briefly up to 1/16 more) and
 * none older than `max_age_ms`, except that the newest message is always kept: the highest seq in
 * the table is the object's head, so the sequence never restarts after a quiet period.
 */
export class ReplayBuffer {
  /** The last assigned seq (0 when nothing was ever stored). */
  head = 0;
  /** The oldest seq still held; `head + 1` when empty. */
  floor = 1;
  #count = 0;
  #nextAgeTrim = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS hub_messages (seq INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL, json TEXT NOT NULL)",
    );
    this.#reload();
  }

  get count(): number {
    return this.#count;
  }

  /** Stores message `seq` (which must be `head + 1`). Part of the caller's synchronous write. */
  append(seq: number, timestamp: number, json: string): void {
    this.sql.exec("INSERT INTO hub_messages (seq, timestamp, json) VALUES (?, ?, ?)", seq, timestamp, json);
    this.head = seq;
    if (this.#count === 0) this.floor = seq;
    this.#count++;
  }

  /**
   * Enforces the bounds. The count bound is checked on every call and trimmed in batches; the age
   * bound (a scan) at most every tenth of `maxAgeMs` unless `force`, as before serving a resume.
   */
  trim(maxCount: number, maxAgeMs: number, now: number, force = false): void {
    const slack = Math.min(64, Math.ceil(maxCount / 16));
    if (this.#count > maxCount + (force ? 0 : slack)) {
      this.sql.exec("DELETE FROM hub_messages WHERE seq <= ?", this.head - maxCount);
      this.#reload();
    }
    if (force || now >= this.#nextAgeTrim) {
      this.#nextAgeTrim = now + Math.max(1000, Math.floor(maxAgeMs / 10));
      const cursor = this.sql.exec(
        "DELETE FROM hub_messages WHERE timestamp < ? AND seq < ?",
        now - maxAgeMs,
        this.head,
      );
      if (cursor.rowsWritten > 0) this.#reload();
    }
  }

  /** Serialized messages with seq > `sinceSeq`, oldest first. */
  after(sinceSeq: number): string[] {
    return this.sql
      .exec<{ json: string }>("SELECT json FROM hub_messages WHERE seq > ? ORDER BY seq", sinceSeq)
      .toArray()
      .map((row) => row.json);
  }

  /** Up to `limit` serialized messages with seq < `beforeSeq` (all when null), newest first. */
  before(beforeSeq: number | null, limit: number): { items: string[]; hasMore: boolean; nextBeforeSeq: number | null } {
    const rows = this.sql
      .exec<{ seq: number; json: string }>(
        "SELECT seq, json FROM hub_messages WHERE seq < ? ORDER BY seq DESC LIMIT ?",
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    return {
      items: page.map((row) => row.json),
      hasMore,
      nextBeforeSeq: hasMore ? (page.at(-1)?.seq ?? null) : null,
    };
  }

  #reload(): void {
    const row = this.sql
      .exec<{ head: number | null; floor: number | null; count: number }>(
        "SELECT MAX(seq) AS head, MIN(seq) AS floor, COUNT(*) AS count FROM hub_messages",
      )
      .one();
    this.head = Math.max(this.head, row.head ?? 0);
    this.#count = row.count;
    this.floor = row.floor ?? this.head + 1;
  }
}

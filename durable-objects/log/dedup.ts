/**
 * Exactly-once publishing: remembers, for a window of time, which publish ids were already
 * stored and under which seq. The key is the publisher's client id plus its message id, so one
 * client can never shadow another's ids. Kept in the object's SQLite storage, so a resend after
 * an eviction or a restart is still recognised.
 */
export class DedupWindow {
  #nextTrim = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS hub_dedup (key TEXT PRIMARY KEY, seq INTEGER NOT NULL, timestamp INTEGER NOT NULL) WITHOUT ROWID",
    );
    sql.exec("CREATE INDEX IF NOT EXISTS hub_dedup_by_time ON hub_dedup (timestamp)");
  }

  /** The dedup key of a publish. A newline cannot occur in either part (both are pattern-checked). */
  static key(clientId: string, messageId: string): string {
    return `${clientId}\n${messageId}`;
  }

  /**
   * Claims `key` for a new message with `seq`. Returns null when the claim succeeded (a first
   * publish), or the original `{ seq, timestamp }` when the key was already used.
   */
  claim(key: string, seq: number, timestamp: number): { seq: number; timestamp: number } | null {
    const claimed = this.sql
      .exec(
        "INSERT INTO hub_dedup (key, seq, timestamp) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING seq",
        key,
        seq,
        timestamp,
      )
      .toArray();
    if (claimed.length > 0) return null;
    return this.sql
      .exec<{ seq: number; timestamp: number }>("SELECT seq, timestamp FROM hub_dedup WHERE key = ?", key)
      .one();
  }

  /** Forgets ids older than the window; runs at most every quarter window. */
  trim(windowMs: number, now: number): void {
    if (now < this.#nextTrim) return;
    this.#nextTrim = now + Math.max(1000, Math.floor(windowMs / 4));
    this.sql.exec("DELETE FROM hub_dedup WHERE timestamp < ?", now - windowMs);
  }
}

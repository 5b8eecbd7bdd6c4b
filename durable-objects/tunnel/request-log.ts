import type { TunnelLogEntry } from "../../core/rest/tunnels";
import type { StreamSummary } from "./tunnel-stream";

/** Requests the log keeps per label; older ones are dropped as new ones finish. */
export const REQUEST_LOG_SIZE = 200;

interface LogRow extends Record<string, SqlStorageValue> {
  id: number;
  method: string;
  path: string;
  status: number | null;
  outcome: string;
  bytes_in: number;
  bytes_out: number;
  duration_ms: number;
  started_at: number;
}

/**
 * The last {@link REQUEST_LOG_SIZE} requests through one tunnel, in the object's own SQLite
 * storage (so it survives eviction): method, path without the query, status, bytes, duration and
 * time. No bodies and no headers are kept: they may carry secrets.
 */
export class RequestLog {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS request_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      method TEXT NOT NULL,
      path TEXT NOT NULL,
      status INTEGER,
      outcome TEXT NOT NULL,
      bytes_in INTEGER NOT NULL,
      bytes_out INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL,
      started_at INTEGER NOT NULL
    )`);
  }

  record(summary: StreamSummary): void {
    const { id } = this.sql
      .exec<{ id: number }>(
        `INSERT INTO request_log (method, path, status, outcome, bytes_in, bytes_out, duration_ms, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        summary.method,
        summary.path,
        summary.status,
        summary.outcome,
        summary.bytesIn,
        summary.bytesOut,
        summary.durationMs,
        summary.startedAt,
      )
      .one();
    this.sql.exec("DELETE FROM request_log WHERE id <= ?", id - REQUEST_LOG_SIZE);
  }

  /** The newest `limit` entries, newest first. */
  latest(limit: number): TunnelLogEntry[] {
    return this.sql
      .exec<LogRow>("SELECT * FROM request_log ORDER BY id DESC LIMIT ?", limit)
      .toArray()
      .map((row) => ({
        id: row.id,
        method: row.method,
        path: row.path,
        status: row.status,
        outcome: row.outcome as TunnelLogEntry["outcome"],
        bytes_in: row.bytes_in,
        bytes_out: row.bytes_out,
        duration_ms: row.duration_ms,
        started_at: new Date(row.started_at).toISOString(),
      }));
  }
}

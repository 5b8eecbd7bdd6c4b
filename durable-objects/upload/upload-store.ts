import type { UploadRecord } from "./upload-record";

/** A kept block of received bytes: its place in the order and its size. */
export interface BlockRef {
  seq: number;
  size: number;
}

/**
 * An upload object's SQLite storage: its record, the received bytes not yet in R2 (blocks of at
 * most 1 MiB, in order) and the parts R2 already holds. The durable offset is derived from the
 * last two (parts × part size + kept bytes), so it can never disagree with what is stored.
 */
export class UploadStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS upload (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS blocks (seq INTEGER PRIMARY KEY AUTOINCREMENT, bytes BLOB NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS parts (part_number INTEGER PRIMARY KEY, etag TEXT NOT NULL)`);
  }

  record(): UploadRecord | null {
    const row = this.sql.exec<{ record: string }>("SELECT record FROM upload WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.record) as UploadRecord) : null;
  }

  saveRecord(record: UploadRecord): void {
    this.sql.exec(
      "INSERT INTO upload (id, record) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record",
      JSON.stringify(record),
    );
  }

  /** Bytes received and kept here, not yet sent to R2 as a part. */
  keptBytes(): number {
    return this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(length(bytes)), 0) AS n FROM blocks").one().n;
  }

  blocks(): BlockRef[] {
    return this.sql
      .exec<{ seq: number; size: number }>("SELECT seq, length(bytes) AS size FROM blocks ORDER BY seq")
      .toArray();
  }

  blockBytes(seq: number): Uint8Array {
    const row = this.sql.exec<{ bytes: ArrayBuffer }>("SELECT bytes FROM blocks WHERE seq = ?", seq).one();
    return new Uint8Array(row.bytes);
  }

  /** Keeps a block; `bytes` must span its whole buffer (binding an ArrayBuffer is ~3x faster than a view). */
  addBlock(bytes: Uint8Array<ArrayBuffer>): void {
    this.sql.exec(
      "INSERT INTO blocks (bytes) VALUES (?)",
      bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer,
    );
  }

  parts(): R2UploadedPart[] {
    return this.sql
      .exec<{ part_number: number; etag: string }>("SELECT part_number, etag FROM parts ORDER BY part_number")
      .toArray()
      .map((row) => ({ partNumber: row.part_number, etag: row.etag }));
  }

  partCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM parts").one().n;
  }

  /** R2 holds `part`, made of the blocks up to `lastSeq`: record it and drop them (one synchronous turn, so atomic). */
  partStored(part: R2UploadedPart, lastSeq: number): void {
    this.sql.exec("INSERT INTO parts (part_number, etag) VALUES (?, ?)", part.partNumber, part.etag);
    this.sql.exec("DELETE FROM blocks WHERE seq <= ?", lastSeq);
  }

  /** Drops every kept byte and part (the file is complete in R2, or the upload is gone). */
  clearBytes(): void {
    this.sql.exec("DELETE FROM blocks");
    this.sql.exec("DELETE FROM parts");
  }
}

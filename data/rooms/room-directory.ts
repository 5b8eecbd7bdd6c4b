/**
 * The public room directory: one D1 row per listed room (table `rooms`,
 * migrations/0004_create_rooms.sql), written by the room itself and read by `GET /v1/rooms`. Rooms
 * write on create, join, leave and close, and on activity at most once per interval
 * (durable-objects/room/room-lifecycle.ts), through a {@link DirectoryWriter}, so a busy chat never
 * writes to D1 per message.
 *
 * @module
 */
import type { RoomListing } from "../../core/protocol/room";

/** A room as the directory lists it (times are ISO-8601 UTC, as in every REST resource). */
export type DirectoryEntry = RoomListing;

interface DirectoryRow extends Omit<DirectoryEntry, "metadata"> {
  metadata: string;
}

/** Where a listing page starts: after this room, in the directory's order (newest first). */
export interface DirectoryPosition {
  created_at: string;
  id: string;
}

/**
 * Keeps one room's directory row equal to what the room wants it to be. Writes go one at a time,
 * in order, and only the latest wish is written: wishes made while a write is in flight collapse
 * into one next write, so a burst of joins costs a couple of writes and an older value never lands
 * after a newer one.
 */
export class DirectoryWriter {
  /** The row to write (null: no row), or undefined when there is nothing left to write. */
  #wanted: DirectoryEntry | null | undefined = undefined;
  #running: Promise<void> | null = null;

  constructor(
    private readonly db: D1Database,
    private readonly projectId: string,
    private readonly roomId: string,
    /** A write failed: the room retries later (by alarm), with what it wants then. */
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Asks for the row to become `entry`, or to be gone (null). */
  want(entry: DirectoryEntry | null): void {
    this.#wanted = entry;
    this.#running ??= this.#run();
  }

  /** Resolves once every write asked for so far has been attempted. */
  settled(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    try {
      while (this.#wanted !== undefined) {
        const entry = this.#wanted;
        this.#wanted = undefined;
        try {
          await (entry === null ? this.#delete() : this.#upsert(entry));
        } catch (error) {
          this.onFailure(error);
        }
      }
    } finally {
      this.#running = null;
    }
  }

  #upsert(entry: DirectoryEntry): Promise<unknown> {
    return this.db
      .prepare(
        `INSERT INTO rooms (project_id, id, title, participant_count, max_participants, metadata, created_at, last_activity_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (project_id, id) DO UPDATE SET
           title = excluded.title, participant_count = excluded.participant_count,
           max_participants = excluded.max_participants, metadata = excluded.metadata,
           created_at = excluded.created_at, last_activity_at = excluded.last_activity_at`,
      )
      .bind(
        this.projectId,
        this.roomId,
        entry.title,
        entry.participant_count,
        entry.max_participants,
        JSON.stringify(entry.metadata),
        entry.created_at,
        entry.last_activity_at,
      )
      .run();
  }

  #delete(): Promise<unknown> {
    return this.db.prepare("DELETE FROM rooms WHERE project_id = ? AND id = ?").bind(this.projectId, this.roomId).run();
  }
}

/**
 * A page of a project's listed rooms, newest first (then by id), after `after` when given.
 * Returns one row more than `limit` when there are more, for the caller to tell.
 */
export async function listDirectory(
  db: D1Database,
  projectId: string,
  limit: number,
  after: DirectoryPosition | null,
): Promise<DirectoryEntry[]> {
  const columns = "id, title, participant_count, max_participants, metadata, created_at, last_activity_at";
  const statement = after
    ? db
        .prepare(
          `SELECT ${columns} FROM rooms WHERE project_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
           ORDER BY created_at DESC, id DESC LIMIT ?`,
        )
        .bind(projectId, after.created_at, after.created_at, after.id, limit + 1)
    : db
        .prepare(`SELECT ${columns} FROM rooms WHERE project_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`)
        .bind(projectId, limit + 1);
  const { results } = await statement.all<DirectoryRow>();
  return results.map((row) => ({ ...row, metadata: JSON.parse(row.metadata) as Record<string, unknown> }));
}

import { ApiError } from "../../core/errors";
import type { StateChange, StateOp } from "../../core/protocol/room";
import { deleteAt, getAt, type JsonObject, PathError, parsePath, setAt } from "../../core/protocol/room-paths";
import { exceedsUtf8Bytes } from "../../core/utf8";
import type { Json } from "../hub/frames";

/** What one update did: the version it moved the state from and to, and each change. */
export interface AppliedUpdate {
  from: number;
  to: number;
  changes: StateChange[];
}

/**
 * A room's shared state: one JSON object with a version, kept in memory and in the room's SQLite
 * storage (one row, rewritten by each update), so it survives eviction and restarts.
 *
 * An update is a list of operations applied in order as one new version, all or none: when one
 * fails, or the result would be too large, the state is left exactly as it was.
 */
export class RoomState {
  #state: JsonObject;
  #json: string;
  #version: number;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS room_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, json TEXT NOT NULL)",
    );
    const row = sql.exec<{ version: number; json: string }>("SELECT version, json FROM room_state").toArray()[0];
    this.#version = row?.version ?? 0;
    this.#json = row?.json ?? "{}";
    this.#state = JSON.parse(this.#json) as JsonObject;
  }

  get version(): number {
    return this.#version;
  }

  /** The state, serialized (as stored; spliced into frames as it is). */
  get json(): Json<JsonObject> {
    return this.#json as Json<JsonObject>;
  }

  /**
   * Applies `ops` in order as version `version + 1` and stores the result. Part of the caller's
   * synchronous write.
   *
   * @throws {ApiError} `invalid_state_operation` for a bad path or an increment of a non-number
   * (details name the operation), `state_too_large` when the result exceeds `maxBytes`.
   */
  apply(ops: readonly StateOp[], maxBytes: number): AppliedUpdate {
    const changes: StateChange[] = [];
    let json: string;
    try {
      for (const [index, op] of ops.entries()) changes.push(this.#applyOne(index, op));
      json = JSON.stringify(this.#state);
      if (exceedsUtf8Bytes(json, maxBytes)) {
        throw new ApiError("state_too_large", `The room's state may be at most ${maxBytes} bytes.`, {
          max_bytes: maxBytes,
        });
      }
    } catch (error) {
      // Operations before the failing one already changed the object: go back to the stored state.
      this.#state = JSON.parse(this.#json) as JsonObject;
      throw error;
    }
    const from = this.#version;
    this.#version = from + 1;
    this.#json = json;
    this.sql.exec(
      "INSERT INTO room_state (id, version, json) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, json = excluded.json",
      this.#version,
      json,
    );
    return { from, to: this.#version, changes };
  }

  #applyOne(index: number, op: StateOp): StateChange {
    try {
      const keys = parsePath(op.path);
      if (op.op === "set") {
        // The state gets its own copy: later operations edit the state, never a value a change reports.
        setAt(this.#state, keys, structuredClone(op.value));
        return { path: op.path, operation: "set", value: op.value };
      }
      if (op.op === "delete") {
        deleteAt(this.#state, keys);
        return { path: op.path, operation: "delete" };
      }
      const current = getAt(this.#state, keys) ?? 0;
      if (typeof current !== "number") {
        throw new PathError(`"${op.path}" holds a ${Array.isArray(current) ? "array" : typeof current}, not a number.`);
      }
      const value = current + (op.by ?? 1);
      if (!Number.isFinite(value)) throw new PathError(`Incrementing "${op.path}" leaves the range of numbers.`);
      setAt(this.#state, keys, value);
      return { path: op.path, operation: "increment", value };
    } catch (error) {
      if (!(error instanceof PathError)) throw error;
      throw new ApiError("invalid_state_operation", `Operation ${index + 1} (${op.op} ${op.path}): ${error.message}`, {
        index,
        path: op.path,
      });
    }
  }
}

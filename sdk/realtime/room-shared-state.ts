import type { DeltaFrame, StateChange } from "../../core/protocol/room.js";
import { deleteAt, type JsonObject, parsePath, setAt } from "../../core/protocol/room-paths.js";

/** What a delta does to a copy of the state at some version. */
export type DeltaOutcome = "applied" | "stale" | "gap";

/**
 * The client's copy of a room's shared state and its version. Deltas apply with the room's own
 * path functions (core/protocol/room-paths.ts), so the copy ends exactly where the room's state
 * is. A delta must start at the copy's version: an older one was already applied (`stale`), a
 * newer one means something was missed (`gap`: ask the room for the whole state).
 */
export class SharedState {
  #state: JsonObject = {};
  #version = 0;

  get state(): JsonObject {
    return this.#state;
  }

  get version(): number {
    return this.#version;
  }

  /**
   * Takes a snapshot unless the copy is already newer. `force` for a hello: it is the room's state
   * as of now even with a lower version (a room deleted after its retention and created again).
   */
  replace(state: JsonObject, version: number, force = false): boolean {
    if (version < this.#version && !force) return false;
    this.#state = state;
    this.#version = version;
    return true;
  }

  apply(delta: Pick<DeltaFrame, "from_version" | "to_version" | "changes">): DeltaOutcome {
    if (delta.to_version <= this.#version) return "stale";
    if (delta.from_version !== this.#version) return "gap";
    for (const change of delta.changes) applyChange(this.#state, change);
    this.#version = delta.to_version;
    return "applied";
  }
}

/** A change carries what the path holds afterwards, so set and increment both put that value. */
function applyChange(state: JsonObject, change: StateChange): void {
  const keys = parsePath(change.path);
  if (change.operation === "delete") deleteAt(state, keys);
  else setAt(state, keys, change.value);
}

-- The public room directory (GET /v1/rooms). Each room keeps its own row current: it writes on
-- create, join, leave and close, and on activity at most once per interval, so chat traffic never
-- writes here per message. Private rooms are never listed; a room idle past its idle time removes
-- its row (durable-objects/room.ts).

CREATE TABLE rooms (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  title TEXT NOT NULL,
  participant_count INTEGER NOT NULL,
  max_participants INTEGER NOT NULL,
  -- JSON object.
  metadata TEXT NOT NULL DEFAULT '{}',
  -- ISO-8601 UTC, fixed width, so text order is time order.
  created_at TEXT NOT NULL,
  last_activity_at TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
);

-- The listing order: newest first, then by id (the keyset cursor's order).
CREATE INDEX rooms_by_created ON rooms (project_id, created_at DESC, id DESC);

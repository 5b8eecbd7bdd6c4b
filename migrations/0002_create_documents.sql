-- Documents, their change outbox, per-collection settings (rules, retention) and the registry of
-- expression indexes. Everything is scoped by project_id and cascades from projects.

-- One row per document. `data` is a JSON object (validated by the worker before every write);
-- `version` starts at 1 and grows by one per write, for If-Match.
CREATE TABLE documents (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, collection, id)
);

-- The per-collection change sequence. `seq` is the last number handed out; it only ever grows,
-- so pruning the outbox never reuses or skips a number. Changes with seq <= `pruned_through`
-- are gone; a reader asking for them is told so instead of silently missing them.
CREATE TABLE collection_sequences (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  seq INTEGER NOT NULL,
  pruned_through INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, collection)
);

-- One row per committed document write, numbered by collection_sequences. Written only by the
-- triggers below, inside the statement that changes the document, so a write and its change
-- commit together or not at all, in commit order, without gaps.
CREATE TABLE outbox (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  seq INTEGER NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
  doc_id TEXT NOT NULL,
  data TEXT,
  old_data TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (project_id, collection, seq)
);

CREATE TRIGGER documents_outbox_create AFTER INSERT ON documents
BEGIN
  INSERT INTO collection_sequences (project_id, collection, seq) VALUES (NEW.project_id, NEW.collection, 1)
    ON CONFLICT (project_id, collection) DO UPDATE SET seq = seq + 1;
  INSERT INTO outbox (project_id, collection, seq, op, doc_id, data, old_data, created_at)
    SELECT NEW.project_id, NEW.collection, seq, 'create', NEW.id, NEW.data, NULL, NEW.updated_at
    FROM collection_sequences WHERE project_id = NEW.project_id AND collection = NEW.collection;
END;

CREATE TRIGGER documents_outbox_update AFTER UPDATE ON documents
BEGIN
  INSERT INTO collection_sequences (project_id, collection, seq) VALUES (NEW.project_id, NEW.collection, 1)
    ON CONFLICT (project_id, collection) DO UPDATE SET seq = seq + 1;
  INSERT INTO outbox (project_id, collection, seq, op, doc_id, data, old_data, created_at)
    SELECT NEW.project_id, NEW.collection, seq, 'update', NEW.id, NEW.data, OLD.data, NEW.updated_at
    FROM collection_sequences WHERE project_id = NEW.project_id AND collection = NEW.collection;
END;

-- When a project is deleted its documents go by cascade after the project row: there is nobody
-- left to notify, and an outbox row would point at a missing project, so skip it.
CREATE TRIGGER documents_outbox_delete AFTER DELETE ON documents
WHEN EXISTS (SELECT 1 FROM projects WHERE id = OLD.project_id)
BEGIN
  INSERT INTO collection_sequences (project_id, collection, seq) VALUES (OLD.project_id, OLD.collection, 1)
    ON CONFLICT (project_id, collection) DO UPDATE SET seq = seq + 1;
  INSERT INTO outbox (project_id, collection, seq, op, doc_id, data, old_data, created_at)
    SELECT OLD.project_id, OLD.collection, seq, 'delete', OLD.id, NULL, OLD.data,
      strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    FROM collection_sequences WHERE project_id = OLD.project_id AND collection = OLD.collection;
END;

-- A D1 batch is a transaction, but a statement that matches no row does not fail it. The worker
-- checks its optimistic preconditions (a document still has the version it read) by inserting
-- into this table when a precondition does not hold; the trigger aborts, and with it the batch.
CREATE TABLE write_guards (reason TEXT);

CREATE TRIGGER write_guards_abort BEFORE INSERT ON write_guards
BEGIN
  SELECT RAISE(ABORT, 'flarebase_write_conflict');
END;

-- Per-collection settings. `rules` is a JSON object with optional list/read/create/update/delete
-- expressions; a missing rule means only secret keys may do that. Retention bounds the outbox.
CREATE TABLE collection_settings (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  rules TEXT NOT NULL DEFAULT '{}',
  retention_max_changes INTEGER,
  retention_max_age_seconds INTEGER,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, collection)
);

-- Expression indexes created through the API. `sql_name` is the name of the partial index on
-- documents (restricted to this project and collection); `fields` is a JSON array of paths.
CREATE TABLE document_indexes (
  project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  name TEXT NOT NULL,
  sql_name TEXT NOT NULL UNIQUE,
  fields TEXT NOT NULL,
  is_unique INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  PRIMARY KEY (project_id, collection, name)
);

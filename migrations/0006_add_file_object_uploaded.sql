-- When R2 stored the bytes a file row describes (R2's `uploaded`). Two uploads to one path can
-- reach R2 in one order and D1 in the other; a row is only replaced by the commit of bytes stored
-- later, so the row always describes the bytes R2 kept (the last put).
ALTER TABLE files ADD COLUMN object_uploaded_at TEXT;

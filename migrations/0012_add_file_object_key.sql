-- The R2 key of the bytes a file row describes. Every upload stores its bytes under a key of its
-- own (`files/<project>/<bucket>/<path>//<upload id>`; paths never hold `//`), and the row names
-- it, so a delete or a second upload racing an upload of the same path can only remove bytes no
-- row names any more: never a listed file without bytes. Rows from before keep the key they had.
ALTER TABLE files ADD COLUMN object_key TEXT;
UPDATE files SET object_key = 'files/' || project_id || '/' || bucket || '/' || path;
-- One row per key: what the orphan sweep looks keys up by.
CREATE UNIQUE INDEX files_object_key ON files (object_key);

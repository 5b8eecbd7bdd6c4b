-- What public keys (and user tokens without a `channels` claim) may do on the project's realtime
-- channels: a JSON capability map such as {"chat:*": ["subscribe", "publish"]}, or NULL for the
-- built-in default (every operation on every channel). See durable-objects/capabilities.ts.
ALTER TABLE projects ADD COLUMN channel_capabilities TEXT;

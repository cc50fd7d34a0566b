ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE sessions DROP COLUMN client_addr;
ALTER TABLE sessions DROP COLUMN device;
ALTER TABLE sessions DROP COLUMN handle;

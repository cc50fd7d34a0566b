ALTER TABLE sessions DROP COLUMN pending_until;

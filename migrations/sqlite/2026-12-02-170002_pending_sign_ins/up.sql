-- A session between the right password and the second factor ends at this time, however often
-- it is used (auth::session_store); NULL for every other session.
ALTER TABLE sessions ADD COLUMN pending_until TIMESTAMP;

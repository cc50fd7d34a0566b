-- What the account page shows about each of a user's sessions, and a handle to end one by
-- (never the row id, which is the digest of the cookie's key).
ALTER TABLE sessions ADD COLUMN handle TEXT;
ALTER TABLE sessions ADD COLUMN device TEXT;
ALTER TABLE sessions ADD COLUMN client_addr TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP;

-- TOTP second factor (RFC 6238): the shared secret (base32), when it was turned on, and the
-- last time step accepted, so that a code cannot be used twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMP;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- Single-use recovery codes, kept as SHA-256 digests (each has 64 random bits, so a fast hash
-- is enough; the plain codes are shown once).
CREATE TABLE recovery_codes (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_digest TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE UNIQUE INDEX recovery_codes_user_digest ON recovery_codes (user_id, code_digest);

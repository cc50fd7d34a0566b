-- Mail (README: "Mail"). Every message is a row of the outbox, written in the same transaction
-- as the event it tells of; a sender task in each instance claims due rows with a lease,
-- delivers them and records the outcome.
CREATE TABLE mail_outbox (
    id SERIAL PRIMARY KEY,
    -- Random; the message's Message-ID is <message_key@the sender's domain>, the same on retries.
    message_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    -- What happened, as JSON (domain::notices::Notice); the text is rendered when it is sent.
    payload TEXT NOT NULL,
    -- The secret of a single-use link the message carries (a password reset), kept only until
    -- the message is delivered or given up.
    link_secret TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'dropped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    -- Temporary failures are retried until then (24 hours after it was queued or retried by staff).
    give_up_at TIMESTAMP NOT NULL,
    -- A sender that claimed the row owns it until then; after that another may take it.
    leased_until TIMESTAMP,
    lease_owner TEXT,
    last_error TEXT,
    finished_at TIMESTAMP
);
CREATE UNIQUE INDEX mail_outbox_message_key ON mail_outbox (message_key);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);

-- Which optional mail a person wants; no row means all of it. Security notices cannot be
-- turned off, so they have no column.
CREATE TABLE notification_preferences (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_expiry INTEGER NOT NULL DEFAULT 1 CHECK (token_expiry IN (0, 1)),
    api_access INTEGER NOT NULL DEFAULT 1 CHECK (api_access IN (0, 1)),
    updated_at TIMESTAMP NOT NULL
);

-- "Forgot your password?" links: SHA-256 digests of 256-bit secrets, single-use, valid an hour,
-- dead once a newer one is sent. A request for an address without an account leaves a row
-- without user, so both cases do the same work.
CREATE TABLE password_resets (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    replaced_at TIMESTAMP
);
CREATE UNIQUE INDEX password_resets_digest ON password_resets (digest);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- The last expiry reminder sent for a token: 0 none, 1 "in 14 days", 2 "in 3 days", 3 "expired".
-- Raised by a conditional UPDATE, so each reminder goes out once whichever instance sweeps.
ALTER TABLE api_tokens ADD COLUMN expiry_notice INTEGER NOT NULL DEFAULT 0;

-- API tokens: only the SHA-256 digest of a token is kept, never its plaintext.
CREATE TABLE api_tokens (
    id SERIAL PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    display_prefix TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    -- Digest of a random id kept in the generating session's state: only that session may reveal.
    created_session TEXT NOT NULL,
    reveal_until TIMESTAMP NOT NULL,
    -- The token encrypted under a key that lives only in the generator's short-lived cookie;
    -- cleared once the reveal window has passed.
    reveal_ciphertext TEXT,
    superseded_at TIMESTAMP,
    -- For a superseded token: when its grace period ends (equal to superseded_at without grace).
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE UNIQUE INDEX api_tokens_digest_key ON api_tokens (digest);
-- At most one active token per organisation, whatever the timing of concurrent requests.
CREATE UNIQUE INDEX api_tokens_one_active ON api_tokens (organisation_id) WHERE superseded_at IS NULL;
CREATE INDEX api_tokens_organisation ON api_tokens (organisation_id, created_at);

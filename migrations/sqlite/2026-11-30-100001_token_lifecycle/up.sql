-- The token's whole life. `expires_at` now means the expiry chosen at generation (never, 30, 90
-- or 365 days); the end of a replaced token's grace period moves to `grace_until`. A token
-- stopped before its natural end (regenerated without grace, revoked, grace ended early,
-- reported exposed) has `revoked_at` and `revoked_reason`.
ALTER TABLE api_tokens ADD COLUMN grace_until TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN revoked_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN revoked_reason TEXT;
UPDATE api_tokens SET grace_until = expires_at, expires_at = NULL WHERE superseded_at IS NOT NULL;
UPDATE api_tokens SET revoked_at = superseded_at, revoked_reason = 'regenerated'
    WHERE superseded_at IS NOT NULL AND grace_until <= superseded_at;

-- Who uses a token: the latest distinct (client address, User-Agent) pairs, first and last seen.
CREATE TABLE token_clients (
    token_id INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    client_addr TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (token_id, client_addr, user_agent)
);
CREATE INDEX token_clients_latest ON token_clients (token_id, last_seen);

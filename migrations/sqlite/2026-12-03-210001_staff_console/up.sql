-- The staff console at scale, and asking for API access (expand only: the previous release
-- keeps working on this schema).

-- An owner asks Pulse staff to switch API access on; staff answer by switching it on or by
-- declining with a reason. At most one open request per organisation.
CREATE TABLE api_access_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    requested_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    answered_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- 'granted' (API access switched on) or 'declined' (with reason).
    outcome TEXT CHECK (outcome IN ('granted', 'declined')),
    reason TEXT
);
CREATE UNIQUE INDEX api_access_requests_one_open ON api_access_requests (organisation_id)
    WHERE answered_at IS NULL;
CREATE INDEX api_access_requests_open ON api_access_requests (created_at, organisation_id)
    WHERE answered_at IS NULL;
CREATE INDEX api_access_requests_organisation ON api_access_requests (organisation_id, created_at);

-- /staff/orgs lists organisations by name, 50 at a time.
CREATE INDEX organisations_name ON organisations (name, id);
-- Its token-state filters start from the few tokens that can be in that state.
CREATE INDEX api_tokens_current_expiry ON api_tokens (expires_at, organisation_id)
    WHERE superseded_at IS NULL;
CREATE INDEX api_tokens_in_grace ON api_tokens (grace_until, organisation_id)
    WHERE superseded_at IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX api_tokens_exposed ON api_tokens (organisation_id, revoked_at)
    WHERE revoked_reason = 'exposed';

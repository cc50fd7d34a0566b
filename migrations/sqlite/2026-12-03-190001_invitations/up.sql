-- Invitations to an organisation (README: "Members and roles"). Expand only: a new table.
-- The link's secret is never stored: only its SHA-256 digest. An invitation is bound to the
-- address it was sent to, works once, for 7 days, and dies when it is cancelled or resent
-- (a resend writes a new row and marks the old one replaced).
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    digest TEXT NOT NULL,
    invited_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    replaced_at TIMESTAMP
);
CREATE UNIQUE INDEX invitations_digest ON invitations (digest);
CREATE INDEX invitations_organisation ON invitations (organisation_id, email);

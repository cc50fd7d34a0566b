-- An organisation's own client accounts, and the feedback their people gave.
CREATE TABLE clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX clients_organisation_name_key ON clients (organisation_id, name);

-- submitted_at is stored at whole seconds so that SQLite's text timestamps sort and compare
-- exactly like PostgreSQL's, which the (submitted_at, id) cursor relies on.
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    respondent_name TEXT NOT NULL,
    respondent_email TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment TEXT,
    survey TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL
);
-- Newest-first listing and cursor pagination.
CREATE INDEX feedback_organisation_submitted ON feedback (organisation_id, submitted_at DESC, id DESC);
-- Per-client filters and scores.
CREATE INDEX feedback_organisation_client ON feedback (organisation_id, client_id, submitted_at);

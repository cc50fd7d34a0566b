-- Operations (expand only: the previous release keeps working on this schema).
-- An operator's `pulse user disable` signs a person out and keeps them out; their organisation's
-- API tokens keep working.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;

-- `/readyz` proves the database takes writes by updating this one row.
CREATE TABLE readiness_probes (
    id INTEGER PRIMARY KEY NOT NULL,
    checked_at TIMESTAMP NOT NULL
);
INSERT INTO readiness_probes (id, checked_at) VALUES (1, CURRENT_TIMESTAMP);

-- Housekeeping deletes audit events older than the retention period.
CREATE INDEX audit_events_created ON audit_events (created_at);

DROP INDEX audit_events_created;
DROP TABLE readiness_probes;
ALTER TABLE users DROP COLUMN disabled_at;

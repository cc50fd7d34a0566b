-- When each response was added or last changed, kept by the database itself (not by whichever
-- code path wrote the row), for incremental sync: `GET /api/v1/feedback?sort=updated_at`.
-- Whole seconds in UTC, like submitted_at, so both backends compare them identically.
-- ADD COLUMN cannot take CURRENT_TIMESTAMP as its default in SQLite: rows that exist now get the
-- migration's time (a full refresh picks them up), new rows get theirs from the trigger.
ALTER TABLE feedback ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE feedback SET updated_at = CURRENT_TIMESTAMP;

CREATE TRIGGER feedback_updated_at_insert AFTER INSERT ON feedback FOR EACH ROW
BEGIN
    UPDATE feedback SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- A change that sets updated_at itself (a back-dated fixture, a data repair) keeps that value.
CREATE TRIGGER feedback_updated_at_update AFTER UPDATE ON feedback FOR EACH ROW
WHEN NEW.updated_at IS OLD.updated_at
BEGIN
    UPDATE feedback SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;

-- Incremental sync pages through (updated_at, id) oldest first.
CREATE INDEX feedback_organisation_updated ON feedback (organisation_id, updated_at, id);

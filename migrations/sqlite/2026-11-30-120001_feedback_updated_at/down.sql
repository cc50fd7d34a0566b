DROP INDEX feedback_organisation_updated;
DROP TRIGGER feedback_updated_at_update;
DROP TRIGGER feedback_updated_at_insert;
ALTER TABLE feedback DROP COLUMN updated_at;

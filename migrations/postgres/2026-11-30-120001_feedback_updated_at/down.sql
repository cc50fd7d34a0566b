DROP INDEX feedback_organisation_updated;
DROP TRIGGER feedback_updated_at ON feedback;
DROP FUNCTION feedback_set_updated_at();
ALTER TABLE feedback DROP COLUMN updated_at;

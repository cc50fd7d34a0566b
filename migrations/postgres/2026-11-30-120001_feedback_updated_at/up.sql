-- When each response was added or last changed, kept by the database itself (see the SQLite
-- migration). Whole seconds in UTC, wall-clock time of the statement (not of the transaction's
-- start, which a long import would push far into the past).
ALTER TABLE feedback
    ADD COLUMN updated_at TIMESTAMP NOT NULL
    DEFAULT date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC');

CREATE FUNCTION feedback_set_updated_at() RETURNS trigger AS $$
BEGIN
    -- A change that sets updated_at itself (a back-dated fixture, a data repair) keeps that value.
    IF TG_OP = 'INSERT' OR NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER feedback_updated_at BEFORE INSERT OR UPDATE ON feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_set_updated_at();

-- Incremental sync pages through (updated_at, id) oldest first.
CREATE INDEX feedback_organisation_updated ON feedback (organisation_id, updated_at, id);

DROP TRIGGER feedback_daily_update ON feedback;
DROP TRIGGER feedback_daily_delete ON feedback;
DROP TRIGGER feedback_daily_insert ON feedback;
DROP FUNCTION feedback_daily_track();
DROP TABLE feedback_by_client;
DROP TABLE feedback_daily;

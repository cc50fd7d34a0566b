DROP TRIGGER feedback_daily_update;
DROP TRIGGER feedback_daily_delete;
DROP TRIGGER feedback_daily_insert;
DROP VIEW feedback_daily_change;
DROP TABLE feedback_by_client;
DROP TABLE feedback_daily;

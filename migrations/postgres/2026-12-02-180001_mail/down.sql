ALTER TABLE api_tokens DROP COLUMN expiry_notice;
DROP TABLE password_resets;
DROP TABLE notification_preferences;
DROP TABLE mail_outbox;

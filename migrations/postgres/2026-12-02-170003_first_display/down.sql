ALTER TABLE api_tokens DROP COLUMN first_display_digest;

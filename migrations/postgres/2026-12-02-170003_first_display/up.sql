-- SHA-256 of the single-use nonce that lets the generating session see a new token once
-- (domain::api_tokens::screen::first_display); cleared by that display.
ALTER TABLE api_tokens ADD COLUMN first_display_digest TEXT;

-- Fixed-window request counters, kept in the database so every instance shares one limit.
-- bucket names what is limited (e.g. "api_token:42"); window_start is the window's first second.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);

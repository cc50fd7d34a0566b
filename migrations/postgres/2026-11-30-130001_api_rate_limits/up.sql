-- The per-token rate limit is decided in each instance's memory; instances share one budget
-- through this table, synced in batches (src/domain/rate_limit.rs). It replaces the per-request
-- counters of rate_limits.
DROP TABLE rate_limits;
-- One leaky bucket per token: when it will be empty, in nanoseconds since the Unix epoch.
CREATE TABLE api_rate_limits (
    token_id INTEGER PRIMARY KEY REFERENCES api_tokens (id) ON DELETE CASCADE,
    empty_at_ns BIGINT NOT NULL
);

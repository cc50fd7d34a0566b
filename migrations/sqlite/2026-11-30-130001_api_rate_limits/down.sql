-- Forward only: the per-request counters of rate_limits are not brought back.
DROP TABLE api_rate_limits;

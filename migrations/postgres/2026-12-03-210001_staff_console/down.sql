DROP INDEX api_tokens_exposed;
DROP INDEX api_tokens_in_grace;
DROP INDEX api_tokens_current_expiry;
DROP INDEX organisations_name;
DROP TABLE api_access_requests;

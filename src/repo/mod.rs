//! Query functions: each takes `&mut DbConn` and returns `QueryResult`.
pub mod api_tokens;
pub mod audit;
pub mod clients;
pub mod feedback;
pub mod login_failures;
pub mod memberships;
pub mod organisations;
pub mod rate_limits;
pub mod recovery_codes;
pub mod scores;
pub mod secrets;
pub mod sessions;
pub mod sign_in_places;
pub mod token_clients;
pub mod users;

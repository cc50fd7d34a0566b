//! Typed values and the rules of the product, independent of HTTP. Services here take a
//! `&mut DbConn` and the time they act at, and return `Result<_, AppError>`.
pub mod account_notices;
pub mod accounts;
pub mod actor;
pub mod api_tokens;
pub mod demo;
pub mod demo_feedback;
pub mod feedback;
pub mod feedback_import;
pub mod gate;
pub mod housekeeping;
pub mod nps;
pub mod organisations;
pub mod partner_keys;
pub mod password;
pub mod rate_limit;
pub mod reveal;
pub mod role;
pub mod scores;
pub mod secret;
pub mod sessions;
pub mod slug;
pub mod throttle;
pub mod token;
pub mod two_factor;
pub mod user_agent;

//! Typed values and the rules of the product, independent of HTTP.
pub mod accounts;
pub mod api_tokens;
pub mod demo;
pub mod demo_feedback;
pub mod error;
pub mod feedback;
pub mod feedback_import;
pub mod housekeeping;
pub mod nps;
pub mod organisations;
pub mod rate_limit;
pub mod reveal;
pub mod role;
pub mod secret;
pub mod slug;
pub mod token;

pub use error::AppError;

/// The current time as stored in the database: UTC, without offset.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

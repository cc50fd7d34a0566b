//! Typed values and the rules of the product, independent of HTTP.
pub mod accounts;
pub mod demo;
pub mod error;
pub mod housekeeping;
pub mod organisations;
pub mod role;
pub mod secret;
pub mod slug;

pub use error::AppError;

/// The current time as stored in the database: UTC, without offset.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

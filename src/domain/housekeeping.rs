//! Periodic clean-up of rows that no longer mean anything.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::accounts::THROTTLE_WINDOW_MINUTES;
use crate::error::AppError;
use crate::repo::{api_tokens, login_failures, sessions};

/// How many rows one sweep removed or cleared.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: usize,
    pub sign_in_failures: usize,
    /// Reveal ciphertexts of tokens whose reveal window has passed.
    pub reveals: usize,
}

pub fn sweep(conn: &mut DbConn, now: NaiveDateTime) -> Result<Swept, AppError> {
    Ok(Swept {
        sessions: sessions::delete_expired(conn, now)?,
        sign_in_failures: login_failures::delete_before(
            conn,
            now - Duration::minutes(THROTTLE_WINDOW_MINUTES),
        )?,
        reveals: api_tokens::clear_expired_reveals(conn, now)?,
    })
}

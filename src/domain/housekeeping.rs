//! Periodic clean-up of rows that no longer mean anything.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::accounts::THROTTLE_WINDOW_MINUTES;
use crate::domain::api_tokens::reminders;
use crate::error::AppError;
use crate::repo::{api_tokens, login_failures, outbox, password_resets, sessions};

/// How many rows one sweep removed or cleared.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: usize,
    pub sign_in_failures: usize,
    /// Reveal ciphertexts of tokens whose reveal window has passed.
    pub reveals: usize,
    /// Tokens that got an expiry reminder (in 14 days, in 3 days, expired).
    pub expiry_reminders: usize,
    /// Settled outbox messages older than `keep_settled_mail`.
    pub mail: usize,
    /// Password-reset links expired for a day.
    pub reset_links: usize,
}

/// How long sent, failed and dropped messages stay listed for staff.
pub fn keep_settled_mail() -> Duration {
    Duration::days(30)
}

pub fn sweep(conn: &mut DbConn, now: NaiveDateTime) -> Result<Swept, AppError> {
    Ok(Swept {
        sessions: sessions::delete_expired(conn, now)?,
        sign_in_failures: login_failures::delete_before(
            conn,
            now - Duration::minutes(THROTTLE_WINDOW_MINUTES),
        )?,
        reveals: api_tokens::clear_expired_reveals(conn, now)?,
        expiry_reminders: reminders::send_due(conn, now)?,
        mail: outbox::delete_settled_before(conn, now - keep_settled_mail())?,
        reset_links: password_resets::delete_expired_before(conn, now - Duration::days(1))?,
    })
}

//! Periodic clean-up of rows that no longer mean anything.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::accounts::THROTTLE_WINDOW_MINUTES;
use crate::error::AppError;
use crate::repo::{api_tokens, audit, login_failures, sessions};

/// How long records are kept (`PULSE_AUDIT_RETENTION_DAYS`).
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    pub audit_events: Duration,
}

/// How many rows one sweep removed or cleared.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: usize,
    pub sign_in_failures: usize,
    /// Reveal ciphertexts of tokens whose reveal window has passed.
    pub reveals: usize,
    /// Audit events older than the retention period.
    pub audit_events: usize,
}

pub fn sweep(
    conn: &mut DbConn,
    retention: &Retention,
    now: NaiveDateTime,
) -> Result<Swept, AppError> {
    Ok(Swept {
        audit_events: audit::delete_before(conn, now - retention.audit_events)?,
        sessions: sessions::delete_expired(conn, now)?,
        sign_in_failures: login_failures::delete_before(
            conn,
            now - Duration::minutes(THROTTLE_WINDOW_MINUTES),
        )?,
        reveals: api_tokens::clear_expired_reveals(conn, now)?,
    })
}

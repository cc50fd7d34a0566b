//! Periodic clean-up of rows that no longer mean anything.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::accounts::KNOWN_PLACE_DAYS;
use crate::domain::api_tokens::reminders;
use crate::domain::throttle;
use crate::error::AppError;
use crate::repo::{
    api_tokens, audit, login_failures, outbox, password_resets, sessions, sign_in_places,
};

/// How long audit events are kept unless `PULSE_AUDIT_RETENTION_DAYS` says otherwise.
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 400;

/// How long records are kept (`PULSE_AUDIT_RETENTION_DAYS`).
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    pub audit_events: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            audit_events: Duration::days(DEFAULT_AUDIT_RETENTION_DAYS),
        }
    }
}

/// How many rows one sweep removed or cleared.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: usize,
    pub sign_in_failures: usize,
    /// Usual places of accounts not signed in from for `KNOWN_PLACE_DAYS`.
    pub sign_in_places: usize,
    /// Reveal ciphertexts of tokens whose reveal window has passed.
    pub reveals: usize,
    /// Tokens that got an expiry reminder (in 14 days, in 3 days, expired).
    pub expiry_reminders: usize,
    /// Settled outbox messages older than `keep_settled_mail`.
    pub mail: usize,
    /// Password-reset links expired for a day.
    pub reset_links: usize,
    /// Audit events older than the retention period.
    pub audit_events: usize,
}

/// How long sent, failed and dropped messages stay listed for staff.
pub fn keep_settled_mail() -> Duration {
    Duration::days(30)
}

pub fn sweep(
    conn: &mut DbConn,
    retention: &Retention,
    now: NaiveDateTime,
) -> Result<Swept, AppError> {
    let swept = Swept {
        audit_events: audit::delete_before(conn, now - retention.audit_events)?,
        sessions: sessions::delete_expired(conn, now)?,
        sign_in_failures: login_failures::delete_before(conn, now - throttle::window())?,
        sign_in_places: sign_in_places::delete_before(
            conn,
            now - Duration::days(KNOWN_PLACE_DAYS),
        )?,
        reveals: api_tokens::clear_expired_reveals(conn, now)?,
        expiry_reminders: reminders::send_due(conn, now)?,
        mail: outbox::delete_settled_before(conn, now - keep_settled_mail())?,
        reset_links: password_resets::delete_expired_before(conn, now - Duration::days(1))?,
    };
    if swept.reveals > 0 {
        // The cleared ciphertexts must not linger in SQLite's write-ahead log either.
        crate::db::checkpoint(conn)?;
    }
    Ok(swept)
}

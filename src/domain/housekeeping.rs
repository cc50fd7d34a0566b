//! Periodic clean-up of rows that no longer mean anything.
use chrono::Duration;

use crate::db::DbConn;
use crate::domain::accounts::THROTTLE_WINDOW_MINUTES;
use crate::domain::{AppError, now};
use crate::repo::{login_failures, sessions};

pub fn sweep(conn: &mut DbConn) -> Result<(usize, usize), AppError> {
    let expired_sessions = sessions::delete_expired(conn, now())?;
    let stale_failures =
        login_failures::delete_before(conn, now() - Duration::minutes(THROTTLE_WINDOW_MINUTES))?;
    Ok((expired_sessions, stale_failures))
}

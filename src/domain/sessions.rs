//! A user's own sessions, as the account page shows them: where and when each was used, and
//! ending any or all of the others.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::notices;
use crate::error::AppError;
use crate::repo::sessions;

pub struct SessionInfo {
    /// Names the session in the form that ends it; `None` for sessions started before sessions
    /// had handles (they end with "sign out everywhere else").
    pub handle: Option<String>,
    pub user_agent: String,
    pub client_addr: String,
    pub signed_in_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    /// The session this request belongs to.
    pub current: bool,
    /// Waiting for the second factor after the right password.
    pub pending: bool,
}

/// The user's live sessions (not expired, not past `absolute_lifetime`), most recent first.
pub fn list(
    conn: &mut DbConn,
    user_id: i32,
    current: Option<&str>,
    absolute_lifetime: Duration,
    now: NaiveDateTime,
) -> Result<Vec<SessionInfo>, AppError> {
    let rows = sessions::of_user(conn, user_id, now, now - absolute_lifetime)?;
    Ok(rows
        .into_iter()
        .map(|row| SessionInfo {
            current: row.handle.is_some() && row.handle.as_deref() == current,
            handle: row.handle,
            user_agent: row.device.unwrap_or_default(),
            client_addr: row.client_addr.unwrap_or_default(),
            signed_in_at: row.created_at,
            last_seen_at: row.last_seen_at.unwrap_or(row.created_at),
            pending: row.pending_until.is_some(),
        })
        .collect())
}

/// Ends the user's session `handle` (never the current one: that is what signing out is for).
pub fn end(
    conn: &mut DbConn,
    user_id: i32,
    handle: &str,
    current: Option<&str>,
) -> Result<(), AppError> {
    if current == Some(handle) {
        return Err(AppError::invalid(
            "This is the session you are using: sign out instead.",
        ));
    }
    match sessions::delete_by_handle(conn, user_id, handle)? {
        0 => Err(AppError::invalid(
            "That session has already ended, or is not one of yours.",
        )),
        _ => Ok(()),
    }
}

/// Ends the user's sign-ins still waiting for their second factor (at every sign-out).
pub fn end_pending(conn: &mut DbConn, user_id: i32) -> Result<usize, AppError> {
    Ok(sessions::delete_pending(conn, user_id)?)
}

/// Ends every session of the user except `current`, half-signed-in ones too; how many ended.
/// The user is told by mail when any did (signed out everywhere else, from `from`, at `at`).
pub fn end_others(
    conn: &mut DbConn,
    user_id: i32,
    current: &str,
    (from, at): (&str, NaiveDateTime),
) -> Result<usize, AppError> {
    conn.write_transaction(|conn| {
        let ended = sessions::delete_others(conn, user_id, current)?;
        if ended > 0 {
            notices::other_sessions_ended(conn, user_id, ended, from, at)?;
        }
        Ok(ended)
    })
}

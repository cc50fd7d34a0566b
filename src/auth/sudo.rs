//! Sudo mode, as GitHub has it: a sensitive action needs the user's password entered within the
//! last ten minutes (`Config::sudo_window`). Signing in counts; so does entering the password
//! again on the prompt that a sensitive form shows otherwise (`web::sudo`).
use actix_session::Session;
use chrono::{DateTime, Duration, NaiveDateTime};

use crate::auth::session_store::remember;
use crate::error::AppError;

const SESSION_KEY: &str = "password_confirmed_at";

/// Notes in the session that the user entered their password at `at`.
pub fn password_entered(session: &Session, at: NaiveDateTime) -> Result<(), AppError> {
    remember(session, SESSION_KEY, &at.and_utc().timestamp())
}

/// Whether the user entered their password within `window` before `now`.
pub fn is_recent(session: &Session, now: NaiveDateTime, window: Duration) -> bool {
    session
        .get::<i64>(SESSION_KEY)
        .ok()
        .flatten()
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .is_some_and(|at| now - at.naive_utc() < window)
}

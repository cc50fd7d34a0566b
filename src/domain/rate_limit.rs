//! Per-token API rate limit: a fixed one-minute window counted in the database, so that all
//! instances behind a load balancer share one budget per token.
use chrono::{Duration, NaiveDateTime, Timelike};

use crate::db::DbConn;
use crate::error::AppError;
use crate::repo::rate_limits;

/// Counts a request of `token_id` at `at`; `TooManyAttempts` with the seconds until the window
/// ends once more than `per_minute` requests fell in the current minute.
pub fn check_api_token(
    conn: &mut DbConn,
    token_id: i32,
    per_minute: u32,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let bucket = format!("api_token:{token_id}");
    let window = at
        .with_nanosecond(0)
        .and_then(|t| t.with_second(0))
        .unwrap_or(at);
    let hits = rate_limits::hit(conn, &bucket, window)?;
    if hits == 1 {
        // The first request of a window clears this bucket's older windows: the table holds at
        // most about one row per active token.
        rate_limits::prune(conn, &bucket, window)?;
    }
    if hits as i64 > i64::from(per_minute) {
        let window_end = window + Duration::minutes(1);
        let retry_after_secs = (window_end - at).num_seconds().max(1) as u64;
        return Err(AppError::TooManyAttempts { retry_after_secs });
    }
    Ok(())
}

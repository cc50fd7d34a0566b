//! Expiry reminders, sent by the housekeeping task: 14 days before a token expires, 3 days
//! before, and once it has expired. Each goes out once per token whichever instance sweeps
//! (a conditional UPDATE of `api_tokens.expiry_notice` in the transaction that queues it), and a
//! sweep that comes late sends only the latest reminder due.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::notices::{self, Notice};
use crate::error::AppError;
use crate::repo::api_tokens::{self, ApiToken};

/// The reminders, in order, with how long before the expiry each is due.
const STAGES: [(i32, i64); 3] = [(1, 14), (2, 3), (3, 0)];
const LAST_STAGE: i32 = 3;

/// The latest reminder due for a token expiring at `expires_at`, seen at `now`.
fn due_stage(expires_at: NaiveDateTime, now: NaiveDateTime) -> i32 {
    STAGES
        .iter()
        .filter(|(_, days)| expires_at - Duration::days(*days) <= now)
        .map(|(stage, _)| *stage)
        .max()
        .unwrap_or(0)
}

/// Whole days from `now` to `expires_at`, a part day counting as a day.
fn days_left(expires_at: NaiveDateTime, now: NaiveDateTime) -> i64 {
    let seconds = (expires_at - now).num_seconds().max(0);
    (seconds + 86_399) / 86_400
}

/// Queues the reminders due at `now`; returns how many tokens got one.
pub fn send_due(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, AppError> {
    let horizon = now + Duration::days(STAGES[0].1);
    let mut reminded = 0;
    for token in api_tokens::expiring_by(conn, horizon, LAST_STAGE)? {
        let Some(expires_at) = token.expires_at else {
            continue;
        };
        let stage = due_stage(expires_at, now);
        if stage > token.expiry_notice && remind(conn, &token, stage, expires_at, now)? {
            reminded += 1;
        }
    }
    Ok(reminded)
}

fn remind(
    conn: &mut DbConn,
    token: &ApiToken,
    stage: i32,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    conn.write_transaction(|conn| {
        if api_tokens::raise_expiry_notice(conn, token.id, stage)? == 0 {
            return Ok(false);
        }
        let prefix = token.display_prefix.clone();
        notices::token_expiry(
            conn,
            token.organisation_id,
            |org| {
                if stage == LAST_STAGE {
                    Notice::TokenExpired {
                        org,
                        prefix,
                        expired_at: expires_at,
                    }
                } else {
                    Notice::TokenExpiring {
                        org,
                        prefix,
                        expires_at,
                        days_left: days_left(expires_at, now),
                    }
                }
            },
            now,
        )?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_reminder_due_is_chosen() {
        let expires = chrono::DateTime::from_timestamp(2_000_000_000, 0)
            .unwrap()
            .naive_utc();
        let at = |days_before: i64, hours: i64| {
            expires - Duration::days(days_before) + Duration::hours(hours)
        };
        assert_eq!(due_stage(expires, at(15, 0)), 0);
        assert_eq!(due_stage(expires, at(14, 0)), 1);
        assert_eq!(due_stage(expires, at(4, 0)), 1);
        assert_eq!(due_stage(expires, at(3, 0)), 2);
        assert_eq!(due_stage(expires, at(0, -1)), 2);
        assert_eq!(due_stage(expires, at(0, 0)), 3);
        assert_eq!(due_stage(expires, at(0, 48)), 3);
    }
}

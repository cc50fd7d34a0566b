//! Throttling guesses (passwords, second-factor codes), counted and decided in one transaction on
//! both backends: a guess is recorded as a failure *before* it is checked (`reserve`) and taken
//! back if it was right (`Reserved::release`). So guesses in flight count already, and of any
//! number of parallel guesses no more than a limit are ever evaluated. The rules (which keys,
//! which limits) belong to `domain::accounts` and `domain::two_factor`.
use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::error::AppError;
use crate::repo::login_failures;

/// Failures count for this long.
pub const WINDOW_MINUTES: i64 = 15;

pub fn window() -> Duration {
    Duration::minutes(WINDOW_MINUTES)
}

/// Where a guess comes from, for throttling: an IPv4 address as it is, an IPv6 address as its
/// /64 (one subscriber's network, in which hopping from address to address changes nothing).
pub fn place(addr: &str) -> String {
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => addr.to_owned(),
    }
}

/// One count a guess is made against.
pub struct Limit {
    pub key: String,
    pub max: i64,
    /// Whether reaching `max` refuses the guess; a guess counts against every limit either way.
    pub enforced: bool,
}

/// A guess recorded as a failure under its limits' keys at `at`, until it is taken back.
#[must_use]
pub struct Reserved {
    keys: Vec<String>,
    at: NaiveDateTime,
}

/// Refuses the guess if any enforced limit is reached (`TooManyAttempts`, retry when its oldest
/// failure leaves the window); otherwise records it as a failure under every key. One
/// transaction, serialised with every other throttling decision.
pub fn reserve(
    conn: &mut DbConn,
    limits: &[Limit],
    now: NaiveDateTime,
) -> Result<Reserved, AppError> {
    let since = now - window();
    conn.write_transaction(|conn| {
        login_failures::lock(conn)?;
        for limit in limits {
            let (failures, oldest) = login_failures::count_since(conn, &limit.key, since)?;
            if limit.enforced && failures >= limit.max {
                let lifts_at = oldest.unwrap_or(now) + window();
                let retry_after_secs = (lifts_at - now).num_seconds().max(1) as u64;
                return Err(AppError::TooManyAttempts { retry_after_secs });
            }
        }
        for limit in limits {
            login_failures::record(conn, &limit.key, now)?;
        }
        Ok(Reserved {
            keys: limits.iter().map(|l| l.key.clone()).collect(),
            at: now,
        })
    })
}

impl Reserved {
    /// Takes the guess back (it was right, or could not be checked), and clears every failure
    /// of the keys `clear`.
    pub fn release(self, conn: &mut DbConn, clear: &[&str]) -> Result<(), AppError> {
        conn.write_transaction(|conn| {
            login_failures::lock(conn)?;
            for key in &self.keys {
                if clear.contains(&key.as_str()) {
                    login_failures::clear(conn, key)?;
                } else {
                    login_failures::remove_one(conn, key, self.at)?;
                }
            }
            Ok(())
        })
    }

    /// Runs `check`; a right guess is taken back (clearing `clear_when_right`), a wrong one stays
    /// recorded. An error taking the check (e.g. the password gate is full) is not a guess.
    pub fn check(
        self,
        conn: &mut DbConn,
        clear_when_right: &[&str],
        check: impl FnOnce(&mut DbConn) -> Result<bool, AppError>,
    ) -> Result<bool, AppError> {
        match check(conn) {
            Ok(true) => self.release(conn, clear_when_right).map(|()| true),
            Ok(false) => Ok(false),
            Err(e) => {
                self.release(conn, &[])?;
                Err(e)
            }
        }
    }
}

/// Failures under `key` within the window.
pub fn failures(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> Result<i64, AppError> {
    Ok(login_failures::count_since(conn, key, now - window())?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_throttle_by_their_64() {
        assert_eq!(place("203.0.113.7"), "203.0.113.7");
        assert_eq!(place("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(place("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_ne!(place("2001:db8:1:3::1"), place("2001:db8:1:2::1"));
        assert_eq!(place("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(place("unknown"), "unknown");
    }
}

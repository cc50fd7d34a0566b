//! What a person is told about their own account: someone guessing at it, two-factor sign-in
//! turned on or off (and the sessions that ended with it). `tell` is the one place such a notice
//! is made: it records the event (the account page lists it) inside the transaction of the
//! change, and returns the `Notify` that says a message must go out.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::{notices, throttle};
use crate::error::AppError;
use crate::repo::audit::{self, AuditEntry, NewAuditEvent};
use crate::repo::login_failures;

pub const PASSWORD_GUESSED: &str = "account.password_guessed";
pub const SECOND_FACTOR_GUESSED: &str = "account.second_factor_guessed";
pub const TWO_FACTOR_ON: &str = "account.two_factor_on";
pub const TWO_FACTOR_OFF: &str = "account.two_factor_off";
/// What the account page lists.
pub const ACCOUNT_ACTIONS: [&str; 4] = [
    PASSWORD_GUESSED,
    SECOND_FACTOR_GUESSED,
    TWO_FACTOR_ON,
    TWO_FACTOR_OFF,
];

/// A warning about guessing goes out at most this often per account and kind.
pub fn guessing_notice_every() -> Duration {
    Duration::hours(24)
}

/// Something the account holder must hear about.
pub enum AccountNotice<'a> {
    /// Wrong passwords for the account reached the notice threshold (from `place`, the latest).
    PasswordGuessed {
        place: &'a str,
    },
    /// Wrong second-factor codes after the right password: someone has the password.
    SecondFactorGuessed {
        place: &'a str,
    },
    TwoFactorOn {
        sessions_ended: usize,
    },
    TwoFactorOff {
        sessions_ended: usize,
    },
}

impl AccountNotice<'_> {
    pub fn action(&self) -> &'static str {
        match self {
            AccountNotice::PasswordGuessed { .. } => PASSWORD_GUESSED,
            AccountNotice::SecondFactorGuessed { .. } => SECOND_FACTOR_GUESSED,
            AccountNotice::TwoFactorOn { .. } => TWO_FACTOR_ON,
            AccountNotice::TwoFactorOff { .. } => TWO_FACTOR_OFF,
        }
    }

    fn detail(&self) -> String {
        let ended = |n: &usize| sessions_signed_out(*n);
        match self {
            AccountNotice::PasswordGuessed { place } => format!(
                "Many wrong passwords were entered for this account, the latest from {place}. \
                 Sign-in from there is slowed down; your usual places are not affected."
            ),
            AccountNotice::SecondFactorGuessed { place } => format!(
                "The right password was followed by wrong second-factor codes, the latest from \
                 {place}. If that was not you, change your password now."
            ),
            AccountNotice::TwoFactorOn { sessions_ended } => {
                format!("Two-factor sign-in was turned on.{}", ended(sessions_ended))
            }
            AccountNotice::TwoFactorOff { sessions_ended } => {
                format!(
                    "Two-factor sign-in was turned off.{}",
                    ended(sessions_ended)
                )
            }
        }
    }
}

/// " N other sessions were signed out." after a change that ended some (nothing for none).
pub fn sessions_signed_out(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => " 1 other session was signed out.".into(),
        n => format!(" {n} other sessions were signed out."),
    }
}

/// A notice that has been recorded and mailed to the account holder (through the outbox, in the
/// same transaction: `domain::notices::to_account_holder`).
#[derive(Debug, PartialEq, Eq)]
pub struct Notify {
    pub user_id: i32,
    pub action: &'static str,
}

/// Tells `user_id` of `notice`: call it inside the transaction that makes the change.
pub fn tell(
    conn: &mut DbConn,
    user_id: i32,
    notice: &AccountNotice,
    client_addr: Option<&str>,
    at: NaiveDateTime,
) -> Result<Notify, AppError> {
    audit::record(
        conn,
        &NewAuditEvent {
            organisation_id: None,
            actor_user_id: Some(user_id),
            action: notice.action(),
            detail: &notice.detail(),
            client_addr,
            created_at: at,
        },
    )?;
    notices::to_account_holder(conn, user_id, notice, client_addr, at)?;
    tracing::info!(user_id, notice = notice.action(), "account holder notified");
    Ok(Notify {
        user_id,
        action: notice.action(),
    })
}

/// Tells `user_id` of guessing (`notice`) once the failures under `key` reach `at_least`, at
/// most once per `guessing_notice_every`: serialised with the throttle, so that of many wrong
/// guesses at once exactly one sends it.
pub fn tell_if_guessed(
    conn: &mut DbConn,
    user_id: i32,
    (key, at_least): (&str, i64),
    notice: &AccountNotice,
    now: NaiveDateTime,
) -> Result<Option<Notify>, AppError> {
    conn.write_transaction(|conn| {
        login_failures::lock(conn)?;
        let since = now - guessing_notice_every();
        if throttle::failures(conn, key, now)? < at_least
            || told_since(conn, user_id, notice.action(), since)?
        {
            return Ok(None);
        }
        let place = match notice {
            AccountNotice::PasswordGuessed { place }
            | AccountNotice::SecondFactorGuessed { place } => Some(*place),
            _ => None,
        };
        Ok(Some(tell(conn, user_id, notice, place, now)?))
    })
}

/// Whether `user_id` was told of `action` since `since`.
pub fn told_since(
    conn: &mut DbConn,
    user_id: i32,
    action: &str,
    since: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    Ok(!audit::recent_for_account(conn, user_id, &[action], Some(since), 1)?.is_empty())
}

/// The latest notices of `user_id`, newest first, for the account page.
pub fn recent(conn: &mut DbConn, user_id: i32, limit: i64) -> diesel::QueryResult<Vec<AuditEntry>> {
    audit::recent_for_account(conn, user_id, &ACCOUNT_ACTIONS, None, limit)
}

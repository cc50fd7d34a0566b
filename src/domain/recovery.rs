//! Account recovery by an operator at the command line (`pulse user …`) or by staff in the
//! console (`/staff/users`): a new password, a lost authenticator, a sign-in lock, an account to
//! shut, every session to end. Each change is one transaction with an audit event (actor: the
//! operator, no address; or the member of staff and their address, and then a mail to the
//! person), and each that could leave someone signed in who should not be ends the person's
//! sessions.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::accounts::{self, normalise_email};
use crate::domain::notices::{self, StaffChange};
use crate::domain::password::{self, Password};
use crate::domain::{password_reset, two_factor};
use crate::error::AppError;
use crate::repo::audit::{self, NewAuditEvent};
use crate::repo::users::User;
use crate::repo::{recovery_codes, sessions, users};

/// What an operator (or, some of it, staff) does to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Enrolling an authenticator again at the next sign-in (staff), or never (others).
    ResetTwoFactor,
    /// Lifting the sign-in lock after too many failures.
    Unlock,
    Disable,
    Enable,
    /// Ending every session of the account (staff).
    SignOutEverywhere,
}

/// Who recovers an account.
#[derive(Clone, Copy, Debug)]
enum By<'a> {
    /// An operator at the command line.
    Operator,
    /// A member of staff in the console, from `addr`; the person is told by mail.
    Staff { user_id: i32, addr: &'a str },
}

impl Recovery {
    /// The audit event's action: `operator_…` or `staff_…`.
    fn action(self, by: By) -> String {
        let who = match by {
            By::Operator => "operator",
            By::Staff { .. } => "staff",
        };
        let what = match self {
            Self::ResetTwoFactor => "reset_two_factor",
            Self::Unlock => "unlocked",
            Self::Disable => "disabled",
            Self::Enable => "enabled",
            Self::SignOutEverywhere => "signed_out",
        };
        format!("{who}_{what}")
    }
}

/// The account with `email`, or a clear refusal naming it.
fn find_account(conn: &mut DbConn, email: &str) -> Result<User, AppError> {
    let email = normalise_email(email)?;
    users::find_by_email(conn, &email)?
        .ok_or_else(|| AppError::invalid(format!("There is no account with email {email}.")))
}

fn record(
    conn: &mut DbConn,
    user: &User,
    (action, by): (&str, By),
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let (actor_user_id, client_addr, whom) = match by {
        By::Operator => (None, None, "an operator at the command line"),
        By::Staff { user_id, addr } => (Some(user_id), Some(addr), "Pulse staff"),
    };
    let detail = format!("user {} <{}>, by {whom}", user.id, user.email);
    audit::record(
        conn,
        &NewAuditEvent {
            organisation_id: None,
            actor_user_id,
            action,
            detail: &detail,
            client_addr,
            created_at: at,
        },
    )?;
    Ok(())
}

/// Sets a new password (the usual policy applies) and ends every session of the account.
pub fn set_password(
    conn: &mut DbConn,
    email: &str,
    new: &Password,
    at: NaiveDateTime,
) -> Result<User, AppError> {
    let user = find_account(conn, email)?;
    password::check_new(new, &[&user.email, &user.name])?;
    let password_hash = password::hash(new)?;
    conn.write_transaction(|conn| {
        users::set_password_hash(conn, user.id, &password_hash)?;
        sessions::delete_for_user(conn, user.id)?;
        record(conn, &user, ("operator_set_password", By::Operator), at)
    })?;
    Ok(user)
}

/// An operator carries out `recovery` on the account with `email`.
pub fn apply(
    conn: &mut DbConn,
    email: &str,
    recovery: Recovery,
    at: NaiveDateTime,
) -> Result<User, AppError> {
    let user = find_account(conn, email)?;
    conn.write_transaction(|conn| carry_out(conn, &user, (recovery, By::Operator), at))?;
    Ok(user)
}

/// Staff member `staff` (id, address) makes `change` to the account with `email` from the
/// console; the person is told by mail.
pub fn by_staff(
    conn: &mut DbConn,
    email: &str,
    change: StaffChange,
    (staff_user_id, addr): (i32, &str),
    at: NaiveDateTime,
) -> Result<User, AppError> {
    let user = find_account(conn, email)?;
    let recovery = match change {
        StaffChange::TwoFactorReset => Recovery::ResetTwoFactor,
        StaffChange::Unlocked => Recovery::Unlock,
        StaffChange::SignedOut => Recovery::SignOutEverywhere,
    };
    let by = By::Staff {
        user_id: staff_user_id,
        addr,
    };
    conn.write_transaction(|conn| {
        let ended = carry_out(conn, &user, (recovery, by), at)?;
        notices::recovered_by_staff(conn, &user, (change, ended), (staff_user_id, addr), at)
    })?;
    Ok(user)
}

/// Inside the transaction: the change and its audit event; how many sessions ended.
fn carry_out(
    conn: &mut DbConn,
    user: &User,
    (recovery, by): (Recovery, By),
    at: NaiveDateTime,
) -> Result<usize, AppError> {
    let mut sessions_ended = 0;
    match recovery {
        Recovery::ResetTwoFactor => {
            users::disable_totp(conn, user.id)?;
            recovery_codes::delete_for_user(conn, user.id)?;
            sessions_ended = sessions::delete_for_user(conn, user.id)?;
        }
        Recovery::Unlock => {
            accounts::unlock(conn, &user.email)?;
            two_factor::unlock(conn, user.id)?;
        }
        Recovery::Disable => {
            users::set_disabled(conn, user.id, Some(at))?;
            sessions_ended = sessions::delete_for_user(conn, user.id)?;
        }
        Recovery::Enable => {
            users::set_disabled(conn, user.id, None)?;
        }
        Recovery::SignOutEverywhere => {
            sessions_ended = sessions::delete_for_user(conn, user.id)?;
        }
    }
    record(conn, user, (&recovery.action(by), by), at)?;
    Ok(sessions_ended)
}

/// Staff member `staff` (id, address) sends the person with `email` a password-reset link
/// (`password_reset::issue`: older links die); recorded, and the message says who sent it.
pub fn send_password_reset(
    conn: &mut DbConn,
    email: &str,
    (staff_user_id, addr): (i32, &str),
    at: NaiveDateTime,
) -> Result<User, AppError> {
    let user = find_account(conn, email)?;
    let by = By::Staff {
        user_id: staff_user_id,
        addr,
    };
    conn.write_transaction(|conn| {
        let staff = users::find(conn, staff_user_id)?.map(|u| u.name);
        password_reset::issue(conn, (&user.email, Some(&user)), staff, at)?;
        record(conn, &user, ("staff_sent_password_reset", by), at)
    })?;
    Ok(user)
}

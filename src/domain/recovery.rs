//! Account recovery by an operator at the command line (`pulse user …`): a new password, a lost
//! authenticator, a sign-in lock, an account to shut. Each change is one transaction with an
//! audit event (actor: the operator, no address), and each that could leave someone signed in
//! who should not be ends the person's sessions.
use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::accounts::{self, normalise_email};
use crate::domain::password::{self, Password};
use crate::domain::two_factor;
use crate::error::AppError;
use crate::repo::audit::{self, NewAuditEvent};
use crate::repo::users::User;
use crate::repo::{recovery_codes, sessions, users};

/// What an operator does to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Enrolling an authenticator again at the next sign-in (staff), or never (others).
    ResetTwoFactor,
    /// Lifting the sign-in lock after too many failures.
    Unlock,
    Disable,
    Enable,
}

impl Recovery {
    /// The audit event's action.
    fn action(self) -> &'static str {
        match self {
            Self::ResetTwoFactor => "operator_reset_two_factor",
            Self::Unlock => "operator_unlocked",
            Self::Disable => "operator_disabled",
            Self::Enable => "operator_enabled",
        }
    }
}

/// The account with `email`, or a clear refusal naming it.
fn find_account(conn: &mut DbConn, email: &str) -> Result<User, AppError> {
    let email = normalise_email(email)?;
    users::find_by_email(conn, &email)?
        .ok_or_else(|| AppError::invalid(format!("There is no account with email {email}.")))
}

fn record(conn: &mut DbConn, user: &User, action: &str, at: NaiveDateTime) -> Result<(), AppError> {
    let detail = format!(
        "user {} <{}>, by an operator at the command line",
        user.id, user.email
    );
    audit::record(
        conn,
        &NewAuditEvent {
            organisation_id: None,
            actor_user_id: None,
            action,
            detail: &detail,
            client_addr: None,
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
        record(conn, &user, "operator_set_password", at)
    })?;
    Ok(user)
}

/// Carries out `recovery` on the account with `email`.
pub fn apply(
    conn: &mut DbConn,
    email: &str,
    recovery: Recovery,
    at: NaiveDateTime,
) -> Result<User, AppError> {
    let user = find_account(conn, email)?;
    conn.write_transaction(|conn| {
        match recovery {
            Recovery::ResetTwoFactor => {
                users::disable_totp(conn, user.id)?;
                recovery_codes::delete_for_user(conn, user.id)?;
                sessions::delete_for_user(conn, user.id)?;
            }
            Recovery::Unlock => {
                accounts::unlock(conn, &user.email)?;
                two_factor::unlock(conn, user.id)?;
            }
            Recovery::Disable => {
                users::set_disabled(conn, user.id, Some(at))?;
                sessions::delete_for_user(conn, user.id)?;
            }
            Recovery::Enable => {
                users::set_disabled(conn, user.id, None)?;
            }
        }
        record(conn, &user, recovery.action(), at)
    })?;
    Ok(user)
}

//! Accounts: creating users, adding them to organisations, and signing in with throttling.
use chrono::{Duration, NaiveDateTime};
use diesel::Connection;

use crate::db::DbConn;
use crate::domain::notices;
use crate::domain::password::{self, Password};
use crate::domain::role::Role;
use crate::domain::slug::parse_name;
use crate::error::AppError;
use crate::repo::users::{NewUser, User};
use crate::repo::{login_failures, memberships, organisations, sessions, users};

/// Failed sign-ins allowed per account, and per client address, within the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

pub fn normalise_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.contains(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(AppError::invalid(
            "Enter a valid email address, like name@example.com.",
        ))
    }
}

pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a Password,
    pub is_staff: bool,
}

/// Creates a user, or returns the existing one with that email (its password unchanged).
pub fn create_or_find_user(
    conn: &mut DbConn,
    account: &NewAccount,
    at: NaiveDateTime,
) -> Result<(User, bool), AppError> {
    let email = normalise_email(account.email)?;
    if let Some(existing) = users::find_by_email(conn, &email)? {
        return Ok((existing, false));
    }
    let name = parse_name(account.name, "name")?;
    password::check_new(account.password, &[&email, &name])?;
    let password_hash = password::hash(account.password)?;
    let user = users::insert(
        conn,
        &NewUser {
            email: &email,
            name: &name,
            password_hash: &password_hash,
            is_staff: i32::from(account.is_staff),
            created_at: at,
        },
    )?;
    Ok((user, true))
}

pub fn add_to_organisation(
    conn: &mut DbConn,
    user_id: i32,
    slug: &str,
    role: Role,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    let org = organisations::find_by_slug(conn, slug)?.ok_or_else(|| {
        AppError::invalid(format!("There is no organisation with slug {slug:?}."))
    })?;
    memberships::upsert(conn, user_id, org.id, role.as_str(), at)?;
    Ok(())
}

/// Changes a password after checking the current one (throttled like signing in), and ends
/// every session of the user: whoever else held one (a stolen cookie, a forgotten laptop) is
/// signed out.
pub fn change_password(
    conn: &mut DbConn,
    user_id: i32,
    (current, new): (&Password, &Password),
    addr: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let user = confirm_password(conn, user_id, current, addr, now)?;
    password::check_new(new, &[&user.email, &user.name])?;
    let password_hash = password::hash(new)?;
    conn.transaction(|conn| {
        users::set_password_hash(conn, user_id, &password_hash)?;
        sessions::delete_for_user(conn, user_id)?;
        notices::password_changed(conn, &user, false, addr, now)
    })
}

/// Checks a signed-in user's own password again, before changing it or another sensitive
/// action. Throttled exactly like signing in: refused while the account or the address is
/// locked, and a wrong guess counts towards both locks.
pub fn confirm_password(
    conn: &mut DbConn,
    user_id: i32,
    password: &Password,
    addr: &str,
    now: NaiveDateTime,
) -> Result<User, AppError> {
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    if verify_throttled(conn, &user.email, Some(&user), password, addr, now)? {
        Ok(user)
    } else {
        Err(AppError::invalid("The password is incorrect."))
    }
}

pub fn account_key(email: &str) -> String {
    format!("account:{email}")
}

fn address_key(addr: &str) -> String {
    format!("address:{addr}")
}

/// Refuses with `TooManyAttempts` (and when it lifts) once `key` has `limit` entries within the
/// throttle window; sign-in failures count here, and so do password-reset requests.
pub fn check_throttle(
    conn: &mut DbConn,
    key: &str,
    limit: i64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let window = Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let (failures, oldest) = login_failures::count_since(conn, key, now - window)?;
    if failures >= limit {
        let lifts_at = oldest.unwrap_or(now) + window;
        let retry_after_secs = (lifts_at - now).num_seconds().max(1) as u64;
        return Err(AppError::TooManyAttempts { retry_after_secs });
    }
    Ok(())
}

/// Runs `check` (of a password or a second-factor code) for the account `email` unless the
/// account or the address is locked; a failed check counts towards both locks, a passed one
/// clears the account's.
pub fn throttled(
    conn: &mut DbConn,
    email: &str,
    addr: &str,
    now: NaiveDateTime,
    check: impl FnOnce(&mut DbConn) -> Result<bool, AppError>,
) -> Result<bool, AppError> {
    check_throttle(conn, &address_key(addr), MAX_FAILURES_PER_ADDRESS, now)?;
    check_throttle(conn, &account_key(email), MAX_FAILURES_PER_ACCOUNT, now)?;
    if check(conn)? {
        login_failures::clear(conn, &account_key(email))?;
        return Ok(true);
    }
    login_failures::record(conn, &account_key(email), now)?;
    login_failures::record(conn, &address_key(addr), now)?;
    Ok(false)
}

/// Verifies `password` for the account `email` (`user`, if it exists), throttled. Runs argon2
/// (against a dummy hash for unknown accounts, so timing reveals nothing).
fn verify_throttled(
    conn: &mut DbConn,
    email: &str,
    user: Option<&User>,
    password: &Password,
    addr: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    throttled(conn, email, addr, now, |_| {
        password::verify(password, user.map(|u| u.password_hash.as_str()))
    })
}

/// Signs in with email and password. Runs argon2, so call it on the blocking pool.
/// Any failure is the same `Invalid` message, never saying whether the account exists.
pub fn authenticate(
    conn: &mut DbConn,
    raw_email: &str,
    password: &Password,
    addr: &str,
    now: NaiveDateTime,
) -> Result<User, AppError> {
    let email = raw_email.trim().to_lowercase();
    let user = users::find_by_email(conn, &email)?;
    let verified = verify_throttled(conn, &email, user.as_ref(), password, addr, now)?;
    match user {
        Some(user) if verified => Ok(user),
        _ => Err(AppError::invalid("The email or password is incorrect.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email("  Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@localhost",
            "a nn@example.com",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}

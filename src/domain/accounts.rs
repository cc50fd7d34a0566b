//! Accounts: creating users, adding them to organisations, and signing in with throttling
//! (`domain::throttle` counts; the password rules are here).
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::account_notices::{self, AccountNotice};
use crate::domain::notices;
use crate::domain::password::{self, Password};
use crate::domain::role::Role;
use crate::domain::slug::parse_name;
use crate::domain::throttle::{self, Limit};
use crate::error::AppError;
use crate::repo::users::{NewUser, User};
use crate::repo::{login_failures, memberships, organisations, sessions, sign_in_places, users};

/// Wrong passwords allowed within the throttle window for one account from one place (an IPv4
/// address or an IPv6 /64): a stranger's guesses lock the stranger out, not the owner elsewhere.
pub const MAX_FAILURES_PER_PLACE: i64 = 5;
/// For one account from anywhere: the ceiling against guessing from many places. It does not
/// apply at the account's usual places (where it signed in within `KNOWN_PLACE_DAYS`).
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 50;
/// From one place across accounts (credential stuffing); not for an account at its usual places,
/// so one scanner behind an office's address does not lock out everyone there.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// The account holder is told once wrong passwords for the account reach this many.
pub const GUESSING_NOTICE_AT: i64 = MAX_FAILURES_PER_PLACE;
/// A place stays one of the account's usual places this long after a sign-in there.
pub const KNOWN_PLACE_DAYS: i64 = 90;

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
/// every session of the user, half-signed-in ones too: whoever else held one (a stolen cookie,
/// a forgotten laptop) is signed out.
pub fn change_password(
    conn: &mut DbConn,
    user_id: i32,
    (current, new): (&Password, &Password),
    addr: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let user = recheck_password(conn, user_id, current, addr, now)?;
    password::check_new(new, &[&user.email, &user.name])?;
    let password_hash = password::hash(new)?;
    conn.write_transaction(|conn| {
        users::set_password_hash(conn, user_id, &password_hash)?;
        sessions::delete_for_user(conn, user_id)?;
        notices::password_changed(conn, &user, false, addr, now)
    })
}

/// Checks a signed-in user's own password again, before changing it or another sensitive
/// action. Throttled exactly like signing in: refused while locked, and a wrong guess counts.
pub fn recheck_password(
    conn: &mut DbConn,
    user_id: i32,
    password: &Password,
    addr: &str,
    now: NaiveDateTime,
) -> Result<User, AppError> {
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    match verify_throttled(conn, &user.email, Some(&user), password, addr, now)? {
        Guess::Right => Ok(user),
        Guess::Wrong { left } => Err(wrong_password("The password is incorrect.", left)),
    }
}

/// Lifts the password lock of the account `email`: its wrong passwords from every place (those
/// counted against a place across accounts stay: they are the place's).
pub fn unlock(conn: &mut DbConn, email: &str) -> Result<(), AppError> {
    login_failures::clear(conn, &account_key(email))?;
    login_failures::clear_starting_with(conn, &pair_key(email, ""))?;
    Ok(())
}

/// Whether an account is locked out of signing in (from somewhere), as staff see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLock {
    pub locked: bool,
    /// Wrong passwords within the throttle window, from anywhere.
    pub wrong_passwords: i64,
    /// Wrong second-factor codes within the throttle window.
    pub wrong_codes: i64,
}

/// The sign-in lock of `user` at `now`: locked once a place's wrong passwords, the account's
/// ceiling or its wrong codes reach their limit (`unlock` and `two_factor::unlock` lift it).
pub fn sign_in_lock(
    conn: &mut DbConn,
    user: &User,
    now: NaiveDateTime,
) -> Result<SignInLock, AppError> {
    let wrong_passwords = throttle::failures(conn, &account_key(&user.email), now)?;
    let since = now - throttle::window();
    let worst_place = login_failures::most_starting_with(conn, &pair_key(&user.email, ""), since)?;
    let wrong_codes = crate::domain::two_factor::failures(conn, user.id, now)?;
    Ok(SignInLock {
        locked: worst_place >= MAX_FAILURES_PER_PLACE
            || wrong_passwords >= MAX_FAILURES_PER_ACCOUNT
            || wrong_codes >= crate::domain::two_factor::MAX_SECOND_FACTOR_FAILURES,
        wrong_passwords,
        wrong_codes,
    })
}

fn account_key(email: &str) -> String {
    format!("account:{email}")
}

fn pair_key(email: &str, place: &str) -> String {
    format!("account-place:{email}|{place}")
}

/// The throttle key of a client place across accounts (second-factor codes count there too).
pub fn address_key(place: &str) -> String {
    format!("address:{place}")
}

/// Whether `place` is one of the usual places of `user` (if the account exists).
pub fn is_usual_place(
    conn: &mut DbConn,
    user: Option<&User>,
    place: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(match user {
        Some(user) => {
            let since = now - Duration::days(KNOWN_PLACE_DAYS);
            sign_in_places::is_known(conn, user.id, place, since)?
        }
        None => false,
    })
}

/// Notes a completed sign-in of `user_id` from `addr`: its place becomes a usual one.
pub fn signed_in_from(
    conn: &mut DbConn,
    user_id: i32,
    addr: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    Ok(sign_in_places::remember(
        conn,
        user_id,
        &throttle::place(addr),
        now,
    )?)
}

/// What a password guess turned out to be.
enum Guess {
    Right,
    /// Wrong; `left` more wrong ones from this place lock signing in to the account here.
    Wrong {
        left: i64,
    },
}

/// The wrong-password refusal, warning once two tries or fewer are left before the lock (which
/// stops signing in too, wherever the password was entered).
fn wrong_password(message: &str, left: i64) -> AppError {
    let minutes = throttle::WINDOW_MINUTES;
    AppError::WrongPassword(match left {
        0 => format!(
            "{message} Signing in to this account from here is now locked for {minutes} minutes."
        ),
        1 => format!(
            "{message} One more wrong password locks signing in to this account from here for \
             {minutes} minutes."
        ),
        2 => format!(
            "{message} Two more wrong passwords lock signing in to this account from here for \
             {minutes} minutes."
        ),
        _ => message.to_owned(),
    })
}

/// Verifies `password` for the account `email` (`user`, if it exists), throttled: per account
/// and place first, then the account's ceiling and the place's limit across accounts, neither of
/// which applies at the account's usual places. Runs argon2 (against a dummy hash for unknown
/// accounts, so timing reveals nothing). A right password clears the failures of this account
/// at this place only; the account holder is told once wrong ones pile up.
fn verify_throttled(
    conn: &mut DbConn,
    email: &str,
    user: Option<&User>,
    password: &Password,
    addr: &str,
    now: NaiveDateTime,
) -> Result<Guess, AppError> {
    let place = throttle::place(addr);
    let usual = is_usual_place(conn, user, &place, now)?;
    let pair = pair_key(email, &place);
    let limits = [
        Limit {
            key: pair.clone(),
            max: MAX_FAILURES_PER_PLACE,
            enforced: true,
        },
        Limit {
            key: account_key(email),
            max: MAX_FAILURES_PER_ACCOUNT,
            enforced: !usual,
        },
        Limit {
            key: address_key(&place),
            max: MAX_FAILURES_PER_ADDRESS,
            enforced: !usual,
        },
    ];
    let reserved = throttle::reserve(conn, &limits, now)?;
    let right = reserved.check(conn, &[&pair], |_| {
        password::verify(password, user.map(|u| u.password_hash.as_str()))
    })?;
    if let (false, Some(user)) = (right, user) {
        let notice = AccountNotice::PasswordGuessed { place: &place };
        let key = account_key(email);
        account_notices::tell_if_guessed(conn, user.id, (&key, GUESSING_NOTICE_AT), &notice, now)?;
    }
    if right {
        return Ok(Guess::Right);
    }
    let mut left = i64::MAX;
    for limit in limits.iter().filter(|limit| limit.enforced) {
        left = left.min(limit.max - throttle::failures(conn, &limit.key, now)?);
    }
    Ok(Guess::Wrong { left: left.max(0) })
}

/// Signs in with email and password. Runs argon2, so call it on the blocking pool.
/// A wrong password is the same `WrongPassword` message whether or not the account exists.
pub fn authenticate(
    conn: &mut DbConn,
    raw_email: &str,
    password: &Password,
    addr: &str,
    now: NaiveDateTime,
) -> Result<User, AppError> {
    let email = raw_email.trim().to_lowercase();
    let user = users::find_by_email(conn, &email)?;
    let guess = verify_throttled(conn, &email, user.as_ref(), password, addr, now)?;
    let wrong = match guess {
        Guess::Right => None,
        Guess::Wrong { left } => Some(left),
    };
    match user {
        // Only someone who knows the password learns that the account is disabled.
        Some(user) if wrong.is_none() && user.is_disabled() => Err(AppError::invalid(
            "This account is disabled. Ask Pulse staff to enable it again.",
        )),
        Some(user) if wrong.is_none() => {
            if !user.needs_second_factor() {
                signed_in_from(conn, user.id, addr, now)?;
            }
            Ok(user)
        }
        _ => Err(wrong_password(
            "The email or password is incorrect.",
            wrong.unwrap_or(i64::MAX),
        )),
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

//! The second factor at sign-in: a code checked against the sealed secret, or a recovery code;
//! throttled by `domain::throttle` with counts of its own.
use chrono::NaiveDateTime;

use super::sealed::open_secret;
use super::{Change, matching_step, normalise, step_number, totp};
use crate::db::DbConn;
use crate::domain::account_notices::{self, AccountNotice};
use crate::domain::accounts::{self, MAX_FAILURES_PER_ADDRESS};
use crate::domain::reveal::RevealKey;
use crate::domain::secret::sha256_hex;
use crate::domain::throttle::{self, Limit};
use crate::error::AppError;
use crate::repo::users::User;
use crate::repo::{recovery_codes, users};

/// Wrong codes allowed per account within the throttle window, whatever passwords came between.
pub const MAX_SECOND_FACTOR_FAILURES: i64 = 5;
/// Wrong codes one pending sign-in may give; then it ends and the password is asked again.
pub const MAX_CODES_PER_SIGN_IN: i64 = 3;

/// How a second-factor code fared at sign-in.
#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    Right,
    /// Wrong or used already; `sign_in_over` once this pending sign-in has had its
    /// `MAX_CODES_PER_SIGN_IN`.
    Wrong {
        sign_in_over: bool,
    },
}

fn second_factor_key(user_id: i32) -> String {
    format!("second-factor:{user_id}")
}

/// Lifts the second-factor lock of `user_id` (its wrong codes from every place).
pub fn unlock(conn: &mut DbConn, user_id: i32) -> Result<(), AppError> {
    Ok(crate::repo::login_failures::clear(
        conn,
        &second_factor_key(user_id),
    )?)
}

/// Wrong second-factor codes of `user_id` within the throttle window.
pub fn failures(conn: &mut DbConn, user_id: i32, now: NaiveDateTime) -> Result<i64, AppError> {
    throttle::failures(conn, &second_factor_key(user_id), now)
}

/// Checks a second-factor `code` for `user` at sign-in: the current TOTP code (each good once)
/// or an unused recovery code (then used up). `sign_in` names the pending sign-in (its own cap).
/// Throttled: per account (a right password clears nothing), per pending sign-in, and per place
/// (except at the account's usual places).
fn verify(
    conn: &mut DbConn,
    user: &User,
    (code, sign_in): (&str, &str),
    key: &RevealKey,
    addr: &str,
    now: NaiveDateTime,
) -> Result<CodeCheck, AppError> {
    let totp = totp(&open_secret(key, user)?, &user.email)?;
    let code = normalise(code);
    let place = throttle::place(addr);
    let usual = accounts::is_usual_place(conn, Some(user), &place, now)?;
    let account = second_factor_key(user.id);
    let pending = format!("sign-in:{sign_in}");
    let limits = [
        Limit {
            key: account.clone(),
            max: MAX_SECOND_FACTOR_FAILURES,
            enforced: true,
        },
        Limit {
            key: pending.clone(),
            max: MAX_CODES_PER_SIGN_IN,
            enforced: true,
        },
        Limit {
            key: accounts::address_key(&place),
            max: MAX_FAILURES_PER_ADDRESS,
            enforced: !usual,
        },
    ];
    let reserved = throttle::reserve(conn, &limits, now)?;
    let right = reserved.check(conn, &[&account], |conn| {
        if let Some(step) = matching_step(&totp, &code, now) {
            return Ok(users::use_totp_step(conn, user.id, step_number(step)?)? == 1);
        }
        let digest = sha256_hex(code.as_bytes());
        Ok(recovery_codes::use_code(conn, user.id, &digest, now)? == 1)
    })?;
    if right {
        return Ok(CodeCheck::Right);
    }
    let notice = AccountNotice::SecondFactorGuessed { place: &place };
    account_notices::tell_if_guessed(
        conn,
        user.id,
        (&account, MAX_SECOND_FACTOR_FAILURES),
        &notice,
        now,
    )?;
    let sign_in_over = throttle::failures(conn, &pending, now)? >= MAX_CODES_PER_SIGN_IN;
    Ok(CodeCheck::Wrong { sign_in_over })
}

/// How the second step of a sign-in ended.
#[derive(Debug, PartialEq, Eq)]
pub enum SecondStep {
    /// Signed in; with the recovery codes to show once if the authenticator was just enrolled.
    SignedIn {
        recovery_codes: Vec<String>,
    },
    Refused(CodeCheck),
}

/// The second step of `user`'s sign-in `sign_in`: enrolling their first authenticator (staff
/// who have none: `enrolling` is the secret they were shown) with the code it shows, or checking
/// `code` (`verify`). Either way a success makes the place one of the account's usual ones.
pub fn second_step(
    conn: &mut DbConn,
    user: &User,
    (code, sign_in): (&str, &str),
    (enrolling, key): (Option<&str>, &RevealKey),
    change: &Change,
) -> Result<SecondStep, AppError> {
    let (addr, now) = (change.addr, change.at);
    let recovery_codes = match enrolling {
        Some(secret) => super::turn_on(conn, user, (secret, code), key, change)?.recovery_codes,
        None => match verify(conn, user, (code, sign_in), key, addr, now)? {
            CodeCheck::Right => Vec::new(),
            wrong => return Ok(SecondStep::Refused(wrong)),
        },
    };
    accounts::signed_in_from(conn, user.id, addr, now)?;
    Ok(SecondStep::SignedIn { recovery_codes })
}

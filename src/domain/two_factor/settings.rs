//! Turning two-factor sign-in on (at the first sign-in of staff, or from the account page) and
//! off: each ends the user's other sessions and tells them, in one transaction.
use chrono::NaiveDateTime;

use super::sealed::seal_secret;
use super::{
    RECOVERY_CODES, display_code, matching_step, new_recovery_code, normalise, step_number, totp,
};
use crate::db::DbConn;
use crate::domain::account_notices::{self, AccountNotice, Notify};
use crate::domain::reveal::RevealKey;
use crate::domain::secret::sha256_hex;
use crate::error::AppError;
use crate::repo::users::User;
use crate::repo::{recovery_codes, sessions, users};

/// Who changes their two-factor sign-in, from where and when: every other session of theirs
/// ends (`keep_session` is the handle of the one in use).
pub struct Change<'a> {
    pub keep_session: &'a str,
    pub addr: &'a str,
    pub at: NaiveDateTime,
}

/// Two-factor sign-in just turned on: the recovery codes to show once, and the notice sent.
pub struct TurnedOn {
    pub recovery_codes: Vec<String>,
    pub sessions_ended: usize,
    pub notify: Notify,
}

/// Turns two-factor sign-in on for `user` with the `secret` they were shown, once they prove
/// their app has it by giving its current `code`: stores it sealed under `key`, ends their other
/// sessions and tells them, in one transaction.
pub fn turn_on(
    conn: &mut DbConn,
    user: &User,
    (secret, code): (&str, &str),
    key: &RevealKey,
    change: &Change,
) -> Result<TurnedOn, AppError> {
    let Some(step) = matching_step(&totp(secret, &user.email)?, &normalise(code), change.at) else {
        return Err(AppError::invalid(
            "That code does not match. Check the time on your device and enter the current code.",
        ));
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let digests: Vec<String> = codes.iter().map(|c| sha256_hex(c.as_bytes())).collect();
    let sealed = seal_secret(key, user.id, secret);
    conn.write_transaction(|conn| {
        users::enable_totp(conn, user.id, &sealed, step_number(step)?, change.at)?;
        recovery_codes::replace(conn, user.id, &digests)?;
        let sessions_ended = sessions::delete_others(conn, user.id, change.keep_session)?;
        let notice = AccountNotice::TwoFactorOn { sessions_ended };
        let notify = account_notices::tell(conn, user.id, &notice, Some(change.addr), change.at)?;
        Ok::<_, AppError>(TurnedOn {
            recovery_codes: codes.iter().map(|c| display_code(c)).collect(),
            sessions_ended,
            notify,
        })
    })
}

/// Turns two-factor sign-in off (not for staff, who must keep it), ends the user's other
/// sessions and tells them, in one transaction. Returns the notice and how many sessions ended.
pub fn turn_off(
    conn: &mut DbConn,
    user: &User,
    change: &Change,
) -> Result<(Notify, usize), AppError> {
    if user.is_staff() {
        return Err(AppError::invalid(
            "Staff accounts must keep two-factor sign-in.",
        ));
    }
    conn.write_transaction(|conn| {
        users::disable_totp(conn, user.id)?;
        recovery_codes::delete_for_user(conn, user.id)?;
        let sessions_ended = sessions::delete_others(conn, user.id, change.keep_session)?;
        let notice = AccountNotice::TwoFactorOff { sessions_ended };
        let notify = account_notices::tell(conn, user.id, &notice, Some(change.addr), change.at)?;
        Ok((notify, sessions_ended))
    })
}

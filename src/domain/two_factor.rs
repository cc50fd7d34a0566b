//! The second factor: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of clock
//! skew either way) from an authenticator app, enrolled by QR code, with single-use recovery
//! codes. Required for staff, optional for everyone else; each code works once.
//!
//! Secrets are sealed at rest under the reveal key (`domain::reveal`: AES-256-GCM, the user's id
//! as associated data), so a copy of the database alone yields no second factor. Wrong codes
//! have their own count per account, which a right password does not clear, a cap per pending
//! sign-in (which then ends), and count towards the place's limit (`domain::throttle`).
use base64::Engine;
use chrono::NaiveDateTime;
use diesel::Connection;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::db::DbConn;
use crate::domain::account_notices::{self, AccountNotice, Notify};
use crate::domain::accounts::{self, MAX_FAILURES_PER_ADDRESS};
use crate::domain::reveal::RevealKey;
use crate::domain::secret::sha256_hex;
use crate::domain::throttle::{self, Limit};
use crate::error::AppError;
use crate::repo::users::User;
use crate::repo::{recovery_codes, sessions, users};

const ISSUER: &str = "Pulse";
const STEP_SECONDS: i64 = 30;
/// Codes from the step before and after the current one are accepted too (clock drift).
const SKEW_STEPS: i64 = 1;
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes allowed per account within the throttle window, whatever passwords came between.
pub const MAX_SECOND_FACTOR_FAILURES: i64 = 5;
/// Wrong codes one pending sign-in may give; then it ends and the password is asked again.
pub const MAX_CODES_PER_SIGN_IN: i64 = 3;
/// Marks a sealed secret in `users.totp_secret` (a plain base32 secret never contains ':').
const SEALED: &str = "sealed-v1:";

fn stored_aad(user_id: i32) -> String {
    format!("pulse-totp-v1:{user_id}")
}

fn enrolling_aad(user_id: i32) -> String {
    format!("pulse-totp-enrolling-v1:{user_id}")
}

fn open_sealed(key: &RevealKey, sealed: &str, aad: &str) -> Option<String> {
    String::from_utf8(key.open_bytes(sealed, aad)?).ok()
}

/// The secret as stored for `user_id`.
fn seal_secret(key: &RevealKey, user_id: i32, secret: &str) -> String {
    format!(
        "{SEALED}{}",
        key.seal_bytes(secret.as_bytes(), &stored_aad(user_id))
    )
}

/// The base32 secret of `user`'s authenticator; `Forbidden` if they have none.
fn open_secret(key: &RevealKey, user: &User) -> Result<String, AppError> {
    let stored = user.totp_secret.as_deref().ok_or(AppError::Forbidden)?;
    stored
        .strip_prefix(SEALED)
        .and_then(|sealed| open_sealed(key, sealed, &stored_aad(user.id)))
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "the TOTP secret of user {} does not open under this reveal key",
                user.id
            ))
        })
}

/// A secret being enrolled, sealed for the session that shows it (session rows are in the
/// database too).
pub fn seal_enrolling(key: &RevealKey, user_id: i32, secret: &str) -> String {
    key.seal_bytes(secret.as_bytes(), &enrolling_aad(user_id))
}

/// The secret `seal_enrolling` sealed, if it opens for `user_id`.
pub fn open_enrolling(key: &RevealKey, user_id: i32, sealed: &str) -> Option<String> {
    open_sealed(key, sealed, &enrolling_aad(user_id))
}

/// Seals every TOTP secret still stored in plain text (from before secrets were sealed). Run at
/// start-up after the migrations; returns how many it sealed.
pub fn seal_plaintext_secrets(conn: &mut DbConn, key: &RevealKey) -> Result<usize, AppError> {
    let plain = users::with_totp_secret_not_starting(conn, SEALED)?;
    conn.transaction(|conn| {
        for (user_id, secret) in &plain {
            users::replace_totp_secret(
                conn,
                *user_id,
                secret,
                &seal_secret(key, *user_id, secret),
            )?;
        }
        Ok(plain.len())
    })
}

/// A new secret for an authenticator app: 160 random bits (RFC 4226's recommendation), base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::Fill::fill(&mut bytes, &mut rand::rng());
    base32_of(&bytes)
}

fn base32_of(bytes: &[u8]) -> String {
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => unreachable!("to_encoded encodes"),
    }
}

fn totp(secret: &str, email: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("stored TOTP secret: {e:?}"))?;
    // An email holding ':' cannot be an otpauth account name; the issuer still tells them apart.
    let account = email.replace(':', "");
    TOTP::new(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECONDS as u64,
        bytes,
        Some(ISSUER.into()),
        account,
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("TOTP parameters: {e:?}")))
}

/// What an authenticator app scans: the `otpauth://` URL as a QR code (an SVG `data:` URL).
pub fn enrolment_qr(secret: &str, email: &str) -> Result<String, AppError> {
    let url = totp(secret, email)?.get_url();
    let svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| anyhow::anyhow!("QR code: {e}"))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    let encoded = base64::engine::general_purpose::STANDARD.encode(svg);
    Ok(format!("data:image/svg+xml;base64,{encoded}"))
}

fn step_of(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp().div_euclid(STEP_SECONDS)
}

/// The time step whose code `code` is, within the allowed skew of `now`.
fn matching_step(totp: &TOTP, code: &str, now: NaiveDateTime) -> Option<i64> {
    let current = step_of(now);
    (current - SKEW_STEPS..=current + SKEW_STEPS).find(|step| {
        let expected = totp.generate((step * STEP_SECONDS) as u64);
        bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
    })
}

fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

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
    conn.transaction(|conn| {
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

fn step_number(step: i64) -> Result<i32, AppError> {
    i32::try_from(step).map_err(|_| AppError::Internal(anyhow::anyhow!("TOTP step {step}")))
}

/// 64 random bits as 16 hex digits.
fn new_recovery_code() -> String {
    let mut bytes = [0u8; 8];
    rand::Fill::fill(&mut bytes, &mut rand::rng());
    hex::encode(bytes)
}

/// `0123-4567-89ab-cdef`: easier to copy by hand; the dashes are ignored when it is entered.
fn display_code(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
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
    conn.transaction(|conn| {
        users::disable_totp(conn, user.id)?;
        recovery_codes::delete_for_user(conn, user.id)?;
        let sessions_ended = sessions::delete_others(conn, user.id, change.keep_session)?;
        let notice = AccountNotice::TwoFactorOff { sessions_ended };
        let notify = account_notices::tell(conn, user.id, &notice, Some(change.addr), change.at)?;
        Ok((notify, sessions_ended))
    })
}

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

/// Checks a second-factor `code` for `user` at sign-in: the current TOTP code (each good once)
/// or an unused recovery code (then used up). `sign_in` names the pending sign-in (its own cap).
/// Throttled: per account (a right password clears nothing), per pending sign-in, and per place
/// (except at the account's usual places). A right code makes the place a usual one.
pub fn verify(
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
        accounts::signed_in_from(conn, user.id, addr, now)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn current_code(secret: &str, at: NaiveDateTime) -> Result<String, AppError> {
        Ok(totp(secret, "")?.generate(at.and_utc().timestamp() as u64))
    }

    #[test]
    fn codes_match_the_rfc_6238_sha1_test_vector_and_skew() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s -> 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let secret = base32_of(b"12345678901234567890");
        let at = chrono::DateTime::from_timestamp(59, 0).unwrap().naive_utc();
        assert_eq!(current_code(&secret, at).unwrap(), "287082");
        let totp = totp(&secret, "a@b.example").unwrap();
        assert_eq!(matching_step(&totp, "287082", at), Some(1));
        let later = at + chrono::Duration::seconds(30);
        assert_eq!(
            matching_step(&totp, "287082", later),
            Some(1),
            "one step of skew"
        );
        let much_later = at + chrono::Duration::seconds(90);
        assert_eq!(matching_step(&totp, "287082", much_later), None);
    }

    #[test]
    fn recovery_codes_read_in_groups_and_are_entered_any_way() {
        assert_eq!(display_code("0123456789abcdef"), "0123-4567-89ab-cdef");
        assert_eq!(normalise(" 0123-4567-89AB-cdef "), "0123456789abcdef");
        assert_eq!(new_secret().len(), 32, "160 bits in base32");
    }
}

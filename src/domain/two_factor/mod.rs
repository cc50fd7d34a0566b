//! The second factor: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of clock
//! skew either way) from an authenticator app, enrolled by QR code, with single-use recovery
//! codes. Required for staff, optional for everyone else; each code works once.
//!
//! Secrets are sealed at rest under the reveal key (`domain::reveal`: AES-256-GCM, the user's id
//! as associated data), so a copy of the database alone yields no second factor. Wrong codes
//! have their own count per account, which a right password does not clear, a cap per pending
//! sign-in (which then ends), and count towards the place's limit (`domain::throttle`).
mod sealed;
mod settings;
mod sign_in;

use base64::Engine;
use chrono::NaiveDateTime;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::error::AppError;

pub use sealed::{
    count_sealed_secrets, open_enrolling, reseal_secrets, seal_enrolling, seal_plaintext_secrets,
};
pub use settings::{Change, TurnedOn, turn_off, turn_on};
pub use sign_in::{
    CodeCheck, MAX_CODES_PER_SIGN_IN, MAX_SECOND_FACTOR_FAILURES, SecondStep, failures,
    second_step, unlock,
};

const ISSUER: &str = "Pulse";
const STEP_SECONDS: i64 = 30;
/// Codes from the step before and after the current one are accepted too (clock drift).
const SKEW_STEPS: i64 = 1;
pub const RECOVERY_CODES: usize = 10;
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

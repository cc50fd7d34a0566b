//! TOTP secrets at rest: sealed under the reveal key (`domain::reveal`: AES-256-GCM) bound to
//! their user, in `users.totp_secret` and, while being enrolled, in the session. A copy of the
//! database alone yields no second factor.

use crate::db::DbConn;
use crate::domain::reveal::RevealKey;
use crate::error::AppError;
use crate::repo::users::{self, User};

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
pub(super) fn seal_secret(key: &RevealKey, user_id: i32, secret: &str) -> String {
    format!(
        "{SEALED}{}",
        key.seal_bytes(secret.as_bytes(), &stored_aad(user_id))
    )
}

/// The base32 secret of `user`'s authenticator; `Forbidden` if they have none.
pub(super) fn open_secret(key: &RevealKey, user: &User) -> Result<String, AppError> {
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

/// How many TOTP secrets are sealed: what a lost reveal key would lose (`domain::sealed`).
pub fn count_sealed_secrets(conn: &mut DbConn) -> diesel::QueryResult<i64> {
    users::count_totp_secrets_starting(conn, SEALED)
}

/// Re-seals every sealed TOTP secret from `old` to `new` (key rotation, `domain::sealed`);
/// returns how many. One that does not open under `old` stops the rotation instead of being
/// dropped: dropping it would turn that person's second factor off without a word.
pub fn reseal_secrets(
    conn: &mut DbConn,
    old: &RevealKey,
    new: &RevealKey,
) -> Result<usize, AppError> {
    let sealed = users::with_totp_secret_starting(conn, SEALED)?;
    for (user_id, stored) in &sealed {
        let secret = stored
            .strip_prefix(SEALED)
            .and_then(|sealed| open_sealed(old, sealed, &stored_aad(*user_id)))
            .ok_or_else(|| {
                AppError::conflict(format!(
                    "the TOTP secret of user {user_id} (users.totp_secret) does not open under the \
                     current reveal key, so nothing was re-sealed: is it the key that goes with \
                     this database?"
                ))
            })?;
        users::replace_totp_secret(conn, *user_id, stored, &seal_secret(new, *user_id, &secret))?;
    }
    Ok(sealed.len())
}

/// Seals every TOTP secret still stored in plain text (from before secrets were sealed). Run at
/// start-up after the migrations; returns how many it sealed.
pub fn seal_plaintext_secrets(conn: &mut DbConn, key: &RevealKey) -> Result<usize, AppError> {
    let plain = users::with_totp_secret_not_starting(conn, SEALED)?;
    conn.write_transaction(|conn| {
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

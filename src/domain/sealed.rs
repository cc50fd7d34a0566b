//! Every column sealed with the reveal key (AES-256-GCM, `domain::reveal`), in one list, so that
//! rotating the key re-seals them all and a lost key file is noticed while sealed data exists.
//! A new sealed column is one entry in `SEALED_COLUMNS`: its function that re-seals it, and
//! one that counts its sealed values.
use crate::db::DbConn;
use crate::domain::reveal::RevealKey;
use crate::domain::two_factor;
use crate::error::AppError;
use crate::repo::api_tokens;

/// Re-seals every value of one column from `old` to `new`; returns how many values it re-sealed.
/// A reveal ciphertext that does not open under `old` is forgotten (nobody could have opened
/// it); a TOTP secret that does not stops the rotation (forgetting it would turn a second
/// factor off).
pub type Reseal = fn(&mut DbConn, &RevealKey, &RevealKey) -> Result<usize, AppError>;

pub struct SealedColumn {
    pub name: &'static str,
    pub reseal: Reseal,
    pub count: fn(&mut DbConn) -> diesel::QueryResult<i64>,
}

pub const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        name: "api_tokens.reveal_ciphertext",
        reseal: reseal_reveal_ciphertexts,
        count: api_tokens::count_reveal_ciphertexts,
    },
    SealedColumn {
        name: "users.totp_secret",
        reseal: two_factor::reseal_secrets,
        count: two_factor::count_sealed_secrets,
    },
];

fn reseal_reveal_ciphertexts(
    conn: &mut DbConn,
    old: &RevealKey,
    new: &RevealKey,
) -> Result<usize, AppError> {
    let mut resealed = 0;
    for token in api_tokens::with_reveal_ciphertext(conn)? {
        let ids = (token.organisation_id, token.id);
        let opened = token
            .reveal_ciphertext
            .as_deref()
            .and_then(|sealed| old.open(sealed, ids, &token.digest));
        let again = opened.map(|plain| new.seal(&plain, token.organisation_id, token.id));
        api_tokens::replace_reveal_ciphertext(conn, token.id, again.as_deref())?;
        resealed += usize::from(again.is_some());
    }
    Ok(resealed)
}

/// Re-seals every sealed column from `old` to `new` in one transaction: per column, how many
/// values were re-sealed.
pub fn rotate(
    conn: &mut DbConn,
    old: &RevealKey,
    new: &RevealKey,
) -> Result<Vec<(&'static str, usize)>, AppError> {
    conn.write_transaction(|conn| {
        SEALED_COLUMNS
            .iter()
            .map(|column| Ok((column.name, (column.reseal)(conn, old, new)?)))
            .collect()
    })
}

/// The columns holding sealed values, with how many: what is lost if the key is.
pub fn sealed_values(conn: &mut DbConn) -> Result<Vec<(&'static str, i64)>, AppError> {
    let mut found = Vec::new();
    for column in SEALED_COLUMNS {
        let count = (column.count)(conn)?;
        if count > 0 {
            found.push((column.name, count));
        }
    }
    Ok(found)
}

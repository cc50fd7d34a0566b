//! Keeping a new token viewable during the reveal window without storing it in the clear: the
//! database holds it sealed with AES-256-GCM (RustCrypto `aes-gcm`) under the reveal key, which
//! lives outside the database (`PULSE_REVEAL_KEY`, or a key file beside a SQLite database). The
//! organisation and token ids are the associated data, so a ciphertext moved to another row does
//! not open. The database alone reveals nothing; the key alone neither. TOTP secrets are sealed
//! the same way under the same key (`domain::two_factor`), bound to their user.
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;

use crate::domain::token::PlainToken;

const NONCE_LEN: usize = 12;
pub const KEY_LEN: usize = 32;

/// The reveal key. Debug is redacted like every other secret.
#[derive(Clone)]
pub struct RevealKey(Key<Aes256Gcm>);

impl std::fmt::Debug for RevealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealKey(<redacted>)")
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random generator failed");
    bytes
}

/// What binds a ciphertext to its row.
fn associated_data(organisation_id: i32, token_id: i32) -> String {
    format!("pulse-reveal-v2:{organisation_id}:{token_id}")
}

impl RevealKey {
    pub fn generate() -> Self {
        Self(random_bytes::<KEY_LEN>().into())
    }

    /// The key from its base64 text (as in `PULSE_REVEAL_KEY` or the key file).
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        let bytes: [u8; KEY_LEN] = bytes.try_into().ok()?;
        Some(Self(bytes.into()))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }

    /// Seals `plain` bound to `aad` (what it belongs to): base64 of nonce ‖ ciphertext ‖ tag,
    /// the database half. A fresh random nonce each time.
    pub fn seal_bytes(&self, plain: &[u8], aad: &str) -> String {
        let nonce = random_bytes::<NONCE_LEN>();
        let sealed = Aes256Gcm::new(&self.0)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any short message");
        STANDARD.encode([nonce.as_slice(), &sealed].concat())
    }

    /// What `seal_bytes` sealed, if `sealed` opens under this key for `aad`.
    pub fn open_bytes(&self, sealed: &str, aad: &str) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        Aes256Gcm::new(&self.0)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .ok()
    }

    /// A new token sealed for its row's reveal window.
    pub fn seal(&self, token: &PlainToken, organisation_id: i32, token_id: i32) -> String {
        let aad = associated_data(organisation_id, token_id);
        self.seal_bytes(token.expose().as_bytes(), &aad)
    }

    /// The token, if `ciphertext` opens under this key for this row and its digest matches.
    pub fn open(
        &self,
        ciphertext: &str,
        (organisation_id, token_id): (i32, i32),
        expected_digest: &str,
    ) -> Option<PlainToken> {
        let plain = self.open_bytes(ciphertext, &associated_data(organisation_id, token_id))?;
        let token = PlainToken::parse(std::str::from_utf8(&plain).ok()?).ok()?;
        bool::from(token.digest().as_bytes().ct_eq(expected_digest.as_bytes())).then_some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_right_key_row_and_digest() {
        let token = PlainToken::generate();
        let key = RevealKey::generate();
        let sealed = key.seal(&token, 7, 42);
        assert!(!sealed.contains(&token.expose()[6..]));
        let opened = key.open(&sealed, (7, 42), &token.digest()).expect("opens");
        assert_eq!(opened.expose(), token.expose());
        assert!(
            RevealKey::generate()
                .open(&sealed, (7, 42), &token.digest())
                .is_none()
        );
        assert!(
            key.open(&sealed, (8, 42), &token.digest()).is_none(),
            "other org"
        );
        assert!(
            key.open(&sealed, (7, 43), &token.digest()).is_none(),
            "other row"
        );
        assert!(
            key.open(&sealed, (7, 42), &PlainToken::generate().digest())
                .is_none()
        );
        assert!(key.open("zz", (7, 42), &token.digest()).is_none());
        // Two seals of the same token differ (fresh nonce each time).
        assert_ne!(sealed, key.seal(&token, 7, 42));
    }

    #[test]
    fn keys_round_trip_through_base64_and_stay_out_of_debug_output() {
        let key = RevealKey::generate();
        let again = RevealKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(again.0, key.0);
        assert!(RevealKey::from_base64("c2hvcnQ=").is_none());
        assert_eq!(format!("{key:?}"), "RevealKey(<redacted>)");
    }
}

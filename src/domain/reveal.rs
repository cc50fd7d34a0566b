//! Keeping a new token viewable for its generator during the reveal window without ever storing
//! it in the clear: the database holds the token encrypted under a fresh random key, and that key
//! lives only in a short-lived cookie in the generator's browser. Neither half alone reveals it.
//!
//! The cipher is a SHA-256 keystream XORed with the token. Each key encrypts exactly one token,
//! so the keystream is never reused; integrity comes from checking the decrypted token against
//! the stored digest.
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::secret::{self, BASE62};
use crate::domain::token::PlainToken;

const KEY_LEN: usize = 43;

/// The cookie half. Debug is redacted like every other secret.
pub struct RevealKey(String);

impl RevealKey {
    pub fn generate() -> Self {
        Self(secret::random_base62(KEY_LEN))
    }

    /// Accepts only what `generate` produces.
    pub fn from_cookie(value: &str) -> Option<Self> {
        (value.len() == KEY_LEN && value.bytes().all(|b| BASE62.contains(&b)))
            .then(|| Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn keystream(&self, len: usize) -> Vec<u8> {
        let mut stream = Vec::with_capacity(len + 32);
        let mut counter: u32 = 0;
        while stream.len() < len {
            let block = Sha256::new()
                .chain_update(b"pulse-reveal-v1")
                .chain_update(self.0.as_bytes())
                .chain_update(counter.to_be_bytes())
                .finalize();
            stream.extend_from_slice(&block);
            counter += 1;
        }
        stream.truncate(len);
        stream
    }
}

impl std::fmt::Debug for RevealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealKey(<redacted>)")
    }
}

/// The database half: hex of token XOR keystream.
pub fn seal(token: &PlainToken, key: &RevealKey) -> String {
    let plain = token.expose().as_bytes();
    let sealed: Vec<u8> = plain
        .iter()
        .zip(key.keystream(plain.len()))
        .map(|(p, k)| p ^ k)
        .collect();
    hex::encode(sealed)
}

/// The token, if `ciphertext` decrypts under `key` to a token whose digest is `expected_digest`.
pub fn open(ciphertext: &str, key: &RevealKey, expected_digest: &str) -> Option<PlainToken> {
    let sealed = hex::decode(ciphertext).ok()?;
    let plain: Vec<u8> = sealed
        .iter()
        .zip(key.keystream(sealed.len()))
        .map(|(c, k)| c ^ k)
        .collect();
    let token = PlainToken::parse(std::str::from_utf8(&plain).ok()?).ok()?;
    bool::from(token.digest().as_bytes().ct_eq(expected_digest.as_bytes())).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_the_right_key_and_digest() {
        let token = PlainToken::generate();
        let key = RevealKey::generate();
        let sealed = seal(&token, &key);
        assert!(!sealed.contains(token.expose()));
        let opened = open(&sealed, &key, &token.digest()).expect("opens");
        assert_eq!(opened.expose(), token.expose());
        assert!(open(&sealed, &RevealKey::generate(), &token.digest()).is_none());
        assert!(open(&sealed, &key, &PlainToken::generate().digest()).is_none());
        assert!(open("zz", &key, &token.digest()).is_none());
    }

    #[test]
    fn cookie_values_are_checked() {
        let key = RevealKey::generate();
        assert!(RevealKey::from_cookie(key.expose()).is_some());
        assert!(RevealKey::from_cookie("short").is_none());
        assert!(RevealKey::from_cookie(&"-".repeat(KEY_LEN)).is_none());
        assert_eq!(format!("{key:?}"), "RevealKey(<redacted>)");
    }
}

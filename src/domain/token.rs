//! API tokens: `pulse_` + 43 base62 characters from the OS generator (≈256 bits) + a 6-character
//! base62 CRC32 of the random part. The checksum lets a malformed token be refused without a
//! database query and lets secret scanners recognise leaked tokens, as GitHub's `ghp_` tokens do.
use crate::domain::secret::{self, BASE62};

pub const PREFIX: &str = "pulse_";
const RANDOM_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
/// Every valid token has exactly this many characters.
pub const TOKEN_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// Random characters shown after the prefix so people can tell tokens apart.
const DISPLAY_CHARS: usize = 4;

/// A token in plaintext. Deliberately neither `Display` nor `Serialize`, and its `Debug` is
/// redacted, so it cannot slip into a log line; read it with `expose()` only to show it once.
pub struct PlainToken(String);

/// Why a string is not a token; says nothing about the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("the token does not start with {PREFIX}")]
    Prefix,
    #[error("the token has the wrong length")]
    Length,
    #[error("the token contains characters outside base62")]
    Alphabet,
    #[error("the token's checksum does not match")]
    Checksum,
}

/// CRC32 of `random`, as 6 base62 digits (62^6 > 2^32, so it always fits), most significant first.
fn checksum(random: &str) -> String {
    let mut value = u64::from(crc32fast::hash(random.as_bytes()));
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits.to_vec()).expect("base62 is ASCII")
}

impl PlainToken {
    pub fn generate() -> Self {
        let random = secret::random_base62(RANDOM_LEN);
        let check = checksum(&random);
        Self(format!("{PREFIX}{random}{check}"))
    }

    /// Checks the shape and the checksum; touches no database.
    pub fn parse(raw: &str) -> Result<Self, TokenFormatError> {
        // Length first: a huge header is refused before any other work.
        if raw.len() != TOKEN_LEN {
            return Err(if raw.starts_with(PREFIX) || raw.len() < PREFIX.len() {
                TokenFormatError::Length
            } else {
                TokenFormatError::Prefix
            });
        }
        let body = raw.strip_prefix(PREFIX).ok_or(TokenFormatError::Prefix)?;
        if !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(TokenFormatError::Alphabet);
        }
        let (random, check) = body.split_at(RANDOM_LEN);
        if checksum(random) != check {
            return Err(TokenFormatError::Checksum);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The plaintext, for the one page that shows it to the person who generated it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database stores: SHA-256 in hex. Tokens carry 256 random bits, so a fast hash
    /// is enough; argon2 is for low-entropy passwords.
    pub fn digest(&self) -> String {
        secret::sha256_hex(self.0.as_bytes())
    }

    /// The public part shown after the reveal window, e.g. `pulse_8Hq2`.
    pub fn display_prefix(&self) -> String {
        self.0[..PREFIX.len() + DISPLAY_CHARS].to_owned()
    }
}

impl std::fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_tokens_have_the_documented_shape() {
        let token = PlainToken::generate();
        let raw = token.expose();
        assert_eq!(raw.len(), TOKEN_LEN);
        assert_eq!(TOKEN_LEN, 55);
        assert!(raw.starts_with("pulse_"));
        assert!(raw[PREFIX.len()..].bytes().all(|b| BASE62.contains(&b)));
        assert_eq!(token.display_prefix(), raw[..10]);
        assert_eq!(token.digest().len(), 64);
        assert_ne!(raw, PlainToken::generate().expose());
    }

    #[test]
    fn debug_output_is_redacted() {
        let token = PlainToken::generate();
        let debug = format!("{token:?}");
        assert_eq!(debug, "PlainToken(<redacted>)");
        assert!(!debug.contains(&token.expose()[6..]));
    }

    #[test]
    fn checksum_is_fixed_width_base62() {
        assert_eq!(checksum(""), "000000");
        // crc32("a") = 0xe8b7be43 = 3904355907
        assert_eq!(checksum("a"), "4GEHKN");
    }

    #[test]
    fn known_bad_shapes_are_refused() {
        let good = PlainToken::generate().expose().to_owned();
        let fake = format!("ghp_{}", &good[4..]);
        assert_eq!(
            PlainToken::parse(&fake).unwrap_err(),
            TokenFormatError::Prefix
        );
        assert_eq!(
            PlainToken::parse(&good[..54]).unwrap_err(),
            TokenFormatError::Length
        );
        assert_eq!(
            PlainToken::parse(&format!("{good}x")).unwrap_err(),
            TokenFormatError::Length
        );
        assert_eq!(PlainToken::parse("").unwrap_err(), TokenFormatError::Length);
        let mut non_base62 = good.clone();
        non_base62.replace_range(10..11, "-");
        assert_eq!(
            PlainToken::parse(&non_base62).unwrap_err(),
            TokenFormatError::Alphabet
        );
        assert_eq!(
            PlainToken::parse(&"x".repeat(100_000)).unwrap_err(),
            TokenFormatError::Prefix
        );
    }

    proptest! {
        #[test]
        fn every_generated_token_parses_back(_ in 0..64u8) {
            let token = PlainToken::generate();
            let parsed = PlainToken::parse(token.expose()).unwrap();
            prop_assert_eq!(parsed.digest(), token.digest());
        }

        #[test]
        fn changing_any_one_character_is_detected(pos in 6usize..TOKEN_LEN, pick in 0usize..62) {
            let token = PlainToken::generate();
            let mut bytes = token.expose().as_bytes().to_vec();
            let replacement = BASE62[pick];
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let altered = String::from_utf8(bytes).unwrap();
            // A single substitution changes the CRC32 (or the checksum no longer matches it).
            prop_assert_eq!(PlainToken::parse(&altered).unwrap_err(), TokenFormatError::Checksum);
        }

        #[test]
        fn arbitrary_strings_never_panic_and_rarely_pass(raw in ".{0,80}") {
            if let Ok(token) = PlainToken::parse(&raw) {
                prop_assert_eq!(token.expose(), raw.as_str());
            }
        }

        #[test]
        fn wrong_lengths_are_refused(random in "[0-9A-Za-z]{0,120}") {
            let raw = format!("{PREFIX}{random}");
            prop_assume!(raw.len() != TOKEN_LEN);
            prop_assert_eq!(PlainToken::parse(&raw).unwrap_err(), TokenFormatError::Length);
        }

        #[test]
        fn other_prefixes_are_refused(prefix in "[a-z]{1,8}_") {
            prop_assume!(prefix != PREFIX);
            let good = PlainToken::generate();
            let raw = format!("{prefix}{}", &good.expose()[PREFIX.len()..]);
            prop_assert!(PlainToken::parse(&raw).is_err());
        }

        #[test]
        fn characters_outside_base62_are_refused(pos in 6usize..TOKEN_LEN, bad in "[^0-9A-Za-z]") {
            let good = PlainToken::generate().expose().to_owned();
            let raw = format!("{}{}{}", &good[..pos], bad, &good[pos + 1..]);
            prop_assert!(PlainToken::parse(&raw).is_err());
        }
    }
}

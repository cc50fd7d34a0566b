//! Passwords as typed (a secret value) and their argon2id hashes.
use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

/// A password as typed: never printed, never logged.
pub struct Password(String);

impl Password {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;

/// argon2id with OWASP's recommended parameters (19 MiB, 2 iterations, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &Password) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    let hashed = hasher()
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(|e| anyhow::Error::msg(e.to_string()).context("argon2 hashing"))?;
    Ok(hashed.to_string())
}

/// Verifies against `stored`, or against a dummy hash when the account does not exist, so that
/// the response time does not reveal which emails have accounts.
pub fn verify(password: &Password, stored: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        hash(&Password::new(crate::domain::secret::random_base62(24))).expect("dummy hash")
    });
    let candidate = stored.unwrap_or(DUMMY.as_str());
    let Ok(parsed) = PasswordHash::new(candidate) else {
        return false;
    };
    hasher()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok()
        && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password() {
        let stored = hash(&Password::new("correct horse battery".into())).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(
            &Password::new("correct horse battery".into()),
            Some(&stored)
        ));
        assert!(!verify(&Password::new("wrong".into()), Some(&stored)));
        assert!(!verify(
            &Password::new("correct horse battery".into()),
            None
        ));
    }
}

//! Passwords as typed (a secret value), the policy new ones must meet, and their argon2id
//! hashes.
use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::gate::Gate;
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

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Refuses a new password that is too short, too long, or easy to guess: zxcvbn estimates the
/// guesses an attacker needs from dictionaries of common passwords, names and words, keyboard
/// patterns, and `context` (the account's email and name); scores below 3 are refused.
pub fn check_new(password: &Password, context: &[&str]) -> Result<(), AppError> {
    let length = password.expose().chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
        return Err(AppError::invalid(format!(
            "The password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long."
        )));
    }
    let estimate = zxcvbn::zxcvbn(password.expose(), context);
    if estimate.score() < zxcvbn::Score::Three {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Err(AppError::invalid(format!(
            "That password is too easy to guess{hint}. Try a few unrelated words, or a longer phrase."
        )));
    }
    Ok(())
}

/// argon2 at once: each run takes 19 MiB and a core for tens of milliseconds, so a flood of
/// sign-in or password guesses must queue for the cores (and a longer flood be refused) rather
/// than run them all at once and exhaust memory.
static ARGON2: LazyLock<Gate> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Gate::new(cores, 64)
});

/// argon2id with OWASP's recommended parameters (19 MiB, 2 iterations, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &Password) -> Result<String, AppError> {
    ARGON2.run(|| hash_now(password))?
}

fn hash_now(password: &Password) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    let hashed = hasher()
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(|e| anyhow::Error::msg(e.to_string()).context("argon2 hashing"))?;
    Ok(hashed.to_string())
}

/// Verifies against `stored`, or against a dummy hash when the account does not exist, so that
/// the response time does not reveal which emails have accounts. `Unavailable` when too many
/// verifications are already queued.
pub fn verify(password: &Password, stored: Option<&str>) -> Result<bool, AppError> {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        hash_now(&Password::new(crate::domain::secret::random_base62(24))).expect("dummy hash")
    });
    let candidate = stored.unwrap_or(DUMMY.as_str());
    let Ok(parsed) = PasswordHash::new(candidate) else {
        return Ok(false);
    };
    let matches = ARGON2.run(|| {
        hasher()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok()
    })?;
    Ok(matches && stored.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password() {
        let stored = hash(&Password::new("correct horse battery".into())).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let check = |password: &str, stored| verify(&Password::new(password.into()), stored);
        assert!(check("correct horse battery", Some(&stored)).unwrap());
        assert!(!check("wrong", Some(&stored)).unwrap());
        assert!(!check("correct horse battery", None).unwrap());
    }

    #[test]
    fn new_passwords_must_be_long_enough_and_hard_to_guess() {
        let check = |p: &str| check_new(&Password::new(p.into()), &["ann@example.com", "Ann"]);
        assert!(check("correct horse battery staple").is_ok());
        assert!(check("Vq8#t2LmZx!9").is_ok(), "12 random characters");
        for (weak, why) in [
            ("short1!Aa", "under 12"),
            ("password1234", "common"),
            ("qwertyuiop123", "keyboard walk"),
            ("aaaaaaaaaaaaaaaa", "repeats"),
            ("ann@example.com1", "the account's own email"),
            ("123456789012", "digits"),
        ] {
            assert!(check(weak).is_err(), "{weak:?} is {why}");
        }
        assert!(check(&"Vq8#t2LmZx!9".repeat(11)).is_err(), "over 128");
        let message = check("password1234").unwrap_err().to_string();
        assert!(
            message.starts_with("That password is too easy to guess"),
            "{message}"
        );
    }
}

//! Keys from outside the database: the reveal key, which seals a new token for its reveal window
//! and every TOTP secret (`domain::reveal`, `domain::two_factor`), and the secret-scanning
//! partners' public keys (`domain::partner_keys`).
use anyhow::Context;

use crate::config::Config;
use crate::db::{Database, DatabaseUrl};
use crate::domain::partner_keys::PartnerKeys;
use crate::domain::reveal::RevealKey;
use crate::domain::two_factor;

/// The reveal key: from `PULSE_REVEAL_KEY`; else, for SQLite, from a key file beside the
/// database (created on first start, readable by the owner only). PostgreSQL needs the
/// variable: its instances must share the key, and a key of one process would lose every TOTP
/// secret when it stops.
pub fn reveal_key(config: &Config) -> anyhow::Result<RevealKey> {
    if let Some(text) = &config.reveal_key {
        return RevealKey::from_base64(&text.0).context(
            "PULSE_REVEAL_KEY must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)",
        );
    }
    match DatabaseUrl::parse(&config.database_url) {
        DatabaseUrl::Sqlite(path) => key_file(&format!("{path}.reveal-key")),
        DatabaseUrl::Postgres(_) => anyhow::bail!(
            "PULSE_REVEAL_KEY must be set with PostgreSQL: the base64 of 32 bytes \
             (`openssl rand -base64 32`), the same on every instance and kept outside the \
             database; it seals new tokens and second-factor secrets"
        ),
    }
}

/// Seals the TOTP secrets that versions before sealing stored in plain text (once, after the
/// migrations; later runs find none).
pub fn seal_plaintext_secrets(db: &Database, key: &RevealKey) -> anyhow::Result<()> {
    let mut conn = db
        .conn()
        .context("connecting to seal second-factor secrets")?;
    let sealed = two_factor::seal_plaintext_secrets(&mut conn, key)
        .context("sealing second-factor secrets")?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed second-factor secrets stored in plain text");
    }
    Ok(())
}

fn key_file(path: &str) -> anyhow::Result<RevealKey> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return RevealKey::from_base64(&text)
            .with_context(|| format!("{path} is not a reveal key"));
    }
    let key = RevealKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the reveal key file {path}"))?;
    std::io::Write::write_all(&mut file, key.to_base64().as_bytes())?;
    Ok(key)
}

/// The partners' keys from `PULSE_LEAK_REPORT_KEYS` (PEM text, or the path of a PEM file); none
/// when it is unset.
pub fn leak_report_keys(config: &Config) -> anyhow::Result<PartnerKeys> {
    let Some(value) = &config.leak_report_keys else {
        return Ok(PartnerKeys::default());
    };
    let pem = if value.contains("-----BEGIN") {
        value.clone()
    } else {
        std::fs::read_to_string(value.trim())
            .with_context(|| format!("PULSE_LEAK_REPORT_KEYS: reading {}", value.trim()))?
    };
    PartnerKeys::from_pem(&pem).map_err(|e| anyhow::anyhow!("PULSE_LEAK_REPORT_KEYS: {e}"))
}

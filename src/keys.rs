//! Keys that must live outside the database: the reveal key, which seals a new token for its
//! reveal window (`domain::reveal`).
use anyhow::Context;

use crate::config::Config;
use crate::db::DatabaseUrl;
use crate::domain::reveal::RevealKey;

/// The reveal key: from `PULSE_REVEAL_KEY`; else, for SQLite, from a key file beside the
/// database (created on first start, readable by the owner only); else a key of this process.
pub fn reveal_key(config: &Config) -> anyhow::Result<RevealKey> {
    if let Some(text) = &config.reveal_key {
        return RevealKey::from_base64(&text.0).context(
            "PULSE_REVEAL_KEY must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)",
        );
    }
    match DatabaseUrl::parse(&config.database_url) {
        DatabaseUrl::Sqlite(path) => key_file(&format!("{path}.reveal-key")),
        DatabaseUrl::Postgres(_) => {
            tracing::warn!(
                "PULSE_REVEAL_KEY is not set: a new token can be revealed only on the instance \
                 that issued it; set the same key on every instance"
            );
            Ok(RevealKey::generate())
        }
    }
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

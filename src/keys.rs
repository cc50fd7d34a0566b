//! Keys from outside the database and the one inside it. The reveal key must live outside the
//! database: it seals a new token for its reveal window and every TOTP secret (`domain::reveal`,
//! `domain::two_factor`; every sealed column is listed in `domain::sealed`). The session cookie
//! key is shared by every instance through the database. Both can be rotated (`pulse keys
//! rotate-reveal`, `pulse keys rotate-cookie`; README, "Keys"). The secret-scanning partners'
//! public keys come from `PULSE_LEAK_REPORT_KEYS` (`domain::partner_keys`).
use std::io::Write;

use anyhow::{Context, bail};

use crate::config::Config;
use crate::db::sqlite_file::InstanceLock;
use crate::db::{Database, DatabaseUrl, DbConn};
use crate::domain::partner_keys::PartnerKeys;
use crate::domain::reveal::RevealKey;
use crate::domain::{sealed, secret, two_factor};
use crate::repo::{secrets, sessions};

/// The name of the session cookie key in `app_secrets`.
pub const SESSION_COOKIE_KEY: &str = "session_cookie_key";

/// Where the reveal key comes from, read and checked before migrations run: `PULSE_REVEAL_KEY`;
/// else, for SQLite, a key file beside the database (created on first start, readable by the
/// owner only). PostgreSQL needs the variable: its instances must share the key, and a key of
/// one process would lose every TOTP secret when it stops.
pub enum RevealKeySource {
    /// `PULSE_REVEAL_KEY`.
    Configured(RevealKey),
    /// A key file beside a SQLite database, read if it exists.
    File {
        path: String,
        key: Option<RevealKey>,
    },
}

const KEY_HINT: &str = "the base64 of 32 bytes (e.g. `openssl rand -base64 32`)";

impl RevealKeySource {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        if let Some(text) = &config.reveal_key {
            let key = RevealKey::from_base64(&text.0)
                .with_context(|| format!("PULSE_REVEAL_KEY must be {KEY_HINT}"))?;
            return Ok(Self::Configured(key));
        }
        match DatabaseUrl::parse(&config.database_url) {
            DatabaseUrl::Sqlite(path) => {
                let path = format!("{path}.reveal-key");
                let key = match std::fs::read_to_string(&path) {
                    Ok(text) => Some(RevealKey::from_base64(&text).with_context(|| {
                        format!("the reveal key file {path} does not hold {KEY_HINT}")
                    })?),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("reading the reveal key file {path}"));
                    }
                };
                Ok(Self::File { path, key })
            }
            DatabaseUrl::Postgres(_) => bail!(
                "PULSE_REVEAL_KEY must be set with PostgreSQL: {KEY_HINT}, the same on every \
                 instance and kept outside the database; it seals new tokens and second-factor \
                 secrets"
            ),
        }
    }

    /// The key, once the database is migrated. A missing key file is created, unless the
    /// database holds values sealed with the lost key: then it must be restored, not replaced.
    pub fn finish(self, conn: &mut DbConn) -> anyhow::Result<RevealKey> {
        match self {
            Self::Configured(key) | Self::File { key: Some(key), .. } => Ok(key),
            Self::File { path, key: None } => {
                let sealed = sealed::sealed_values(conn)?;
                if !sealed.is_empty() {
                    let what: Vec<String> = sealed
                        .iter()
                        .map(|(column, n)| format!("{n} in {column}"))
                        .collect();
                    bail!(
                        "the reveal key file {path} is missing, but the database holds values \
                         sealed with it ({}): restore the file from the backup that goes with this \
                         database (README, \"Backups\") instead of starting with a new key",
                        what.join(", ")
                    );
                }
                let key = RevealKey::generate();
                write_key_file(&path, &key)?;
                Ok(key)
            }
        }
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

/// Writes `key` to a new file `path`, readable by the owner only, and to disk.
fn write_key_file(path: &str, key: &RevealKey) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the reveal key file {path}"))?;
    file.write_all(key.to_base64().as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// What `pulse keys rotate-reveal` did.
pub struct RevealRotation {
    pub resealed: Vec<(&'static str, usize)>,
    /// Where the new key went: the key file, or `None` when it is for `PULSE_REVEAL_KEY`.
    pub key_file: Option<String>,
    pub new_key: RevealKey,
}

/// Re-seals everything sealed under a new reveal key: `new` (from `PULSE_NEW_REVEAL_KEY`) or a
/// fresh one. With a key file, the server must be stopped (it holds the old key in memory) and
/// the file is replaced once the database is re-sealed.
pub fn rotate_reveal(
    config: &Config,
    conn: &mut DbConn,
    new: Option<RevealKey>,
) -> anyhow::Result<RevealRotation> {
    let url = DatabaseUrl::parse(&config.database_url);
    if let DatabaseUrl::Sqlite(path) = &url
        && let Some(process) = InstanceLock::holder(path)
    {
        bail!("stop pulse serve (process {process}) first: it holds the old reveal key in memory");
    }
    let (old, key_file) = match RevealKeySource::from_config(config)? {
        RevealKeySource::Configured(key) => (key, None),
        RevealKeySource::File {
            path,
            key: Some(key),
        } => (key, Some(path)),
        RevealKeySource::File { path, key: None } => {
            bail!("there is no reveal key file {path} to rotate")
        }
    };
    let new_key = new.unwrap_or_else(RevealKey::generate);
    if let Some(path) = &key_file {
        // The new key is on disk (beside the old) before anything is sealed with it; a rotation
        // that stopped half-way leaves it there.
        let pending = format!("{path}.new");
        if std::path::Path::new(&pending).exists() {
            bail!(
                "{pending} exists: an earlier rotation stopped half-way. Start the server with it \
                 moved over {path} if that works (the database was re-sealed), else delete it"
            );
        }
        write_key_file(&pending, &new_key)?;
    }
    let resealed = match sealed::rotate(conn, &old, &new_key) {
        Ok(resealed) => resealed,
        Err(e) => {
            // Rolled back: nothing is sealed with the new key, so it goes.
            if let Some(path) = &key_file {
                let _ = std::fs::remove_file(format!("{path}.new"));
            }
            return Err(e.into());
        }
    };
    if let Some(path) = &key_file {
        std::fs::rename(format!("{path}.new"), path)
            .with_context(|| format!("replacing {path}"))?;
    }
    Ok(RevealRotation {
        resealed,
        key_file,
        new_key,
    })
}

/// Replaces the session cookie key and ends every session: everyone signs in again. Running
/// instances keep the old key until they restart.
pub fn rotate_cookie(conn: &mut DbConn) -> anyhow::Result<usize> {
    let ended = conn.write_transaction(|conn| {
        secrets::replace(conn, SESSION_COOKIE_KEY, &secret::random_base62(86))?;
        sessions::delete_all(conn)
    })?;
    Ok(ended)
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

//! Configuration from environment variables (listed in README.md).
use std::net::SocketAddr;

use anyhow::Context;
use chrono::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    /// How long a freshly generated API token stays viewable by its generator.
    pub reveal_window: Duration,
    pub cookie_secure: bool,
    /// A session ends after this long without a request...
    pub session_idle: Duration,
    /// ...and in any case this long after sign-in.
    pub session_absolute: Duration,
    /// Behind a load balancer every TCP peer is the balancer: take the client address from the
    /// `X-Forwarded-For` it appends instead, so per-address sign-in throttling still works.
    pub trust_proxy: bool,
    /// Requests each API token may make per minute (`PULSE_API_RATE_LIMIT`).
    pub api_rate_limit: u32,
    /// Sensitive token actions need the password entered within this long (sudo mode,
    /// `PULSE_SUDO_SECONDS`, default 10 minutes).
    pub sudo_window: Duration,
    /// How often an instance exchanges its rate-limit counts with the others through the
    /// database (`PULSE_API_RATE_LIMIT_SYNC_MS`); shorter means less overshoot, more writes.
    pub api_rate_limit_sync: std::time::Duration,
    /// How often expired sessions, sign-in failures and reveal ciphertexts are swept away.
    pub housekeeping_every: std::time::Duration,
    /// The address people and tools reach the app at, e.g. `https://pulse.example.com`
    /// (`PULSE_PUBLIC_URL`): forms must come from it, and examples show it. Without it, the
    /// address the server listens on (or, behind a trusted proxy, the forwarded host).
    pub public_url: Option<String>,
    /// The key that seals new tokens for their reveal window (`PULSE_REVEAL_KEY`, base64 of 32
    /// bytes). Several instances must share it. Without it, a SQLite database gets a key file
    /// beside it; on PostgreSQL each process makes its own (reveal then works only on the
    /// instance that issued the token).
    pub reveal_key: Option<SecretText>,
    /// Secret-scanning partners' public keys (`PULSE_LEAK_REPORT_KEYS`): PEM text, or the path
    /// of a PEM file. With keys, leak reports must be signed by one of them.
    pub leak_report_keys: Option<String>,
    /// A request body must arrive within this long, plus a second per 500 bytes received
    /// (`PULSE_BODY_TIMEOUT_SECONDS`, default 10; `body_timeout`): slow bodies are cut like
    /// slow headers.
    pub body_timeout: std::time::Duration,
    /// The SMTP server mail goes through (`PULSE_SMTP_URL`, e.g. `smtps://user:pass@host`): a
    /// secret, since it may carry the password. Unset: `mail_dir` (see `mail::transport`).
    pub smtp_url: Option<SecretText>,
    /// The sender of every message (`PULSE_MAIL_FROM`, e.g. `Pulse <pulse@example.com>`).
    pub mail_from: Option<String>,
    /// Without SMTP, the folder messages are written to as `.eml` files (`PULSE_MAIL_DIR`;
    /// unset: `<database file>.mail/` beside a SQLite database).
    pub mail_dir: Option<String>,
    /// How often each instance looks for mail due to be sent.
    pub mail_poll_every: std::time::Duration,
}

/// A secret from the environment: never printed by `Debug`.
#[derive(Clone)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// A whole number above zero from `name`, or `default` when it is unset.
fn env_positive<T>(name: &str, default: T, unit: &str) -> anyhow::Result<T>
where
    T: std::str::FromStr + std::fmt::Display + PartialOrd + From<u8>,
{
    let raw = env_or(name, &default.to_string());
    raw.parse()
        .ok()
        .filter(|n| *n > T::from(0))
        .with_context(|| format!("{name} must be a positive number{unit}, got {raw:?}"))
}

fn env_seconds(name: &str, default: i64) -> anyhow::Result<Duration> {
    Ok(Duration::seconds(env_positive(
        name,
        default,
        " of seconds",
    )?))
}

fn env_flag(name: &str) -> Option<bool> {
    std::env::var(name)
        .ok()
        .map(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "on" | "yes"))
}

fn is_loopback(bind: &str) -> bool {
    bind.parse::<SocketAddr>()
        .map(|a| a.ip().is_loopback())
        .unwrap_or_else(|_| bind.starts_with("localhost:"))
}

/// An origin (`scheme://host[:port]`), without a trailing slash or path.
fn parse_public_url(raw: &str) -> anyhow::Result<String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .filter(|host| !host.is_empty() && !host.contains(['/', '?', '#', ' ']));
    anyhow::ensure!(
        rest.is_some(),
        "PULSE_PUBLIC_URL must look like https://pulse.example.com (no path), got {raw:?}"
    );
    Ok(url.to_owned())
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let bind = env_or("PULSE_BIND", "127.0.0.1:8080");
        // Browsers drop Secure cookies over plain http, which is all local development has.
        let cookie_secure = env_flag("PULSE_COOKIE_SECURE").unwrap_or_else(|| !is_loopback(&bind));
        Ok(Self {
            database_url: env_or("DATABASE_URL", "pulse.db"),
            reveal_window: env_seconds("PULSE_REVEAL_SECONDS", 300)?,
            session_idle: env_seconds("PULSE_SESSION_IDLE_SECONDS", 30 * 60)?,
            session_absolute: env_seconds("PULSE_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)?,
            trust_proxy: env_flag("PULSE_TRUST_PROXY").unwrap_or(false),
            api_rate_limit: env_positive("PULSE_API_RATE_LIMIT", 600, "")?,
            api_rate_limit_sync: std::time::Duration::from_millis(env_positive(
                "PULSE_API_RATE_LIMIT_SYNC_MS",
                1000,
                " of milliseconds",
            )?),
            sudo_window: env_seconds("PULSE_SUDO_SECONDS", 10 * 60)?,
            housekeeping_every: std::time::Duration::from_secs(60),
            reveal_key: std::env::var("PULSE_REVEAL_KEY").ok().map(SecretText),
            leak_report_keys: std::env::var("PULSE_LEAK_REPORT_KEYS")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            body_timeout: std::time::Duration::from_secs(env_positive(
                "PULSE_BODY_TIMEOUT_SECONDS",
                10,
                " of seconds",
            )?),
            smtp_url: std::env::var("PULSE_SMTP_URL")
                .ok()
                .filter(|url| !url.trim().is_empty())
                .map(SecretText),
            mail_from: std::env::var("PULSE_MAIL_FROM").ok(),
            mail_dir: std::env::var("PULSE_MAIL_DIR").ok(),
            mail_poll_every: std::time::Duration::from_secs(2),
            public_url: std::env::var("PULSE_PUBLIC_URL")
                .ok()
                .map(|raw| parse_public_url(&raw))
                .transpose()?,
            cookie_secure,
            bind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_origins() {
        assert_eq!(
            parse_public_url("https://pulse.example.com/").unwrap(),
            "https://pulse.example.com"
        );
        assert!(parse_public_url("http://127.0.0.1:8080").is_ok());
        for bad in [
            "pulse.example.com",
            "https://",
            "https://a.example/path",
            "ftp://a",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let smtp = SecretText("smtps://pulse:hunter2hunter2@smtp.example.com".into());
        assert_eq!(format!("{smtp:?}"), "SecretText(<redacted>)");
        assert!(!format!("{:?}", Some(smtp)).contains("hunter2"));
    }

    #[test]
    fn secure_cookies_are_off_only_on_loopback() {
        assert!(is_loopback("127.0.0.1:8080"));
        assert!(is_loopback("[::1]:80"));
        assert!(is_loopback("localhost:8080"));
        assert!(!is_loopback("0.0.0.0:8080"));
    }
}

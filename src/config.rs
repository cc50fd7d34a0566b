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
    /// The key that seals new tokens for their reveal window and every TOTP secret
    /// (`PULSE_REVEAL_KEY`, base64 of 32 bytes). Several instances must share it. Without it, a
    /// SQLite database gets a key file beside it; PostgreSQL refuses to start (`keys`).
    pub reveal_key: Option<SecretText>,
    /// Where the Prometheus `/metrics` listener binds (`PULSE_METRICS_BIND`); none when unset,
    /// and never on the public address.
    pub metrics_bind: Option<String>,
    /// Which requests get an access-log line (`PULSE_ACCESS_LOG`).
    pub access_log: AccessLog,
    /// Connections per instance (`PULSE_DB_POOL_SIZE`); the backend's default when unset.
    pub db_pool_size: Option<u32>,
    /// Audit events older than this are deleted by housekeeping (`PULSE_AUDIT_RETENTION_DAYS`).
    pub audit_retention: Duration,
    /// After SIGTERM, how long `/readyz` fails while requests are still served, before the
    /// listener closes (`PULSE_DRAIN_SECONDS`): time for a balancer's health check to notice.
    pub drain: std::time::Duration,
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

/// Which requests the access log shows: one INFO line each with status and duration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AccessLog {
    Off,
    All,
    /// This share of requests, chosen at random (`PULSE_ACCESS_LOG=0.01`).
    Sampled(f64),
}

impl AccessLog {
    fn parse(name: &str, raw: &str) -> anyhow::Result<Self> {
        if let Some(on) = parse_bool(raw) {
            return Ok(if on { Self::All } else { Self::Off });
        }
        match raw.trim().parse::<f64>() {
            Ok(share) if share > 0.0 && share < 1.0 => Ok(Self::Sampled(share)),
            _ => anyhow::bail!(
                "{name} must be on, off, or the share of requests to log (e.g. 0.01), got {raw:?}"
            ),
        }
    }
}

/// The log format (`PULSE_LOG_FORMAT`): read before anything else, so that even a fatal
/// configuration error is logged in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    /// `text` or `json`, in any case; anything else is an error naming the variable.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("PULSE_LOG_FORMAT") {
            Err(_) => Ok(Self::Text),
            Ok(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                "text" => Ok(Self::Text),
                "json" => Ok(Self::Json),
                _ => anyhow::bail!("PULSE_LOG_FORMAT must be text or json, got {raw:?}"),
            },
        }
    }
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

/// `true`/`false`, `on`/`off`, `yes`/`no`, `1`/`0`, in any case.
fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Some(true),
        "0" | "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// A yes/no variable, `None` when unset; a value that is neither is an error naming it (a typo
/// such as `ture` must not silently mean false).
fn env_flag(name: &str) -> anyhow::Result<Option<bool>> {
    std::env::var(name)
        .ok()
        .map(|raw| {
            parse_bool(&raw).with_context(|| {
                format!("{name} must be true or false (or on/off, yes/no, 1/0), got {raw:?}")
            })
        })
        .transpose()
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

/// A socket address other than the public one: metrics are for the operator's network only.
fn parse_metrics_bind(raw: &str, public: &str) -> anyhow::Result<String> {
    let address: SocketAddr = raw.trim().parse().with_context(|| {
        format!("PULSE_METRICS_BIND must be an address and port like 127.0.0.1:9464, got {raw:?}")
    })?;
    let same_port = public
        .parse::<SocketAddr>()
        .is_ok_and(|p| p.port() != 0 && p.port() == address.port());
    anyhow::ensure!(
        !same_port,
        "PULSE_METRICS_BIND ({raw}) must not be the public address PULSE_BIND ({public})"
    );
    Ok(address.to_string())
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let bind = env_or("PULSE_BIND", "127.0.0.1:8080");
        // Browsers drop Secure cookies over plain http, which is all local development has.
        let cookie_secure = env_flag("PULSE_COOKIE_SECURE")?.unwrap_or_else(|| !is_loopback(&bind));
        Ok(Self {
            database_url: env_or("DATABASE_URL", "pulse.db"),
            reveal_window: env_seconds("PULSE_REVEAL_SECONDS", 300)?,
            session_idle: env_seconds("PULSE_SESSION_IDLE_SECONDS", 30 * 60)?,
            session_absolute: env_seconds("PULSE_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)?,
            trust_proxy: env_flag("PULSE_TRUST_PROXY")?.unwrap_or(false),
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
            mail_dir: std::env::var("PULSE_MAIL_DIR")
                .ok()
                .filter(|dir| !dir.trim().is_empty()),
            mail_poll_every: std::time::Duration::from_secs(2),
            public_url: std::env::var("PULSE_PUBLIC_URL")
                .ok()
                .map(|raw| parse_public_url(&raw))
                .transpose()?,
            metrics_bind: std::env::var("PULSE_METRICS_BIND")
                .ok()
                .map(|raw| parse_metrics_bind(&raw, &bind))
                .transpose()?,
            access_log: std::env::var("PULSE_ACCESS_LOG").map_or(Ok(AccessLog::Off), |raw| {
                AccessLog::parse("PULSE_ACCESS_LOG", &raw)
            })?,
            db_pool_size: std::env::var("PULSE_DB_POOL_SIZE")
                .is_ok()
                .then(|| env_positive("PULSE_DB_POOL_SIZE", 10u32, " of connections"))
                .transpose()?,
            audit_retention: Duration::days(env_positive(
                "PULSE_AUDIT_RETENTION_DAYS",
                crate::domain::housekeeping::DEFAULT_AUDIT_RETENTION_DAYS,
                " of days",
            )?),
            drain: std::time::Duration::from_secs(
                env_or("PULSE_DRAIN_SECONDS", "0").parse().map_err(|_| {
                    anyhow::anyhow!("PULSE_DRAIN_SECONDS must be a whole number of seconds")
                })?,
            ),
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
    fn yes_no_values_parse_strictly() {
        for (raw, value) in [
            ("true", true),
            ("ON", true),
            ("1", true),
            ("No", false),
            ("0", false),
        ] {
            assert_eq!(parse_bool(raw), Some(value), "{raw}");
        }
        for bad in ["ture", "", "enabled", "2"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
        assert_eq!(
            AccessLog::parse("X", "0.25").unwrap(),
            AccessLog::Sampled(0.25)
        );
        assert_eq!(AccessLog::parse("X", "off").unwrap(), AccessLog::Off);
        for bad in ["1.5", "0.0", "sometimes"] {
            let error = AccessLog::parse("PULSE_ACCESS_LOG", bad)
                .unwrap_err()
                .to_string();
            assert!(error.contains("PULSE_ACCESS_LOG"), "{error}");
        }
    }

    #[test]
    fn metrics_never_share_the_public_address() {
        assert_eq!(
            parse_metrics_bind("127.0.0.1:9464", "0.0.0.0:8080").unwrap(),
            "127.0.0.1:9464"
        );
        assert!(parse_metrics_bind("0.0.0.0:8080", "0.0.0.0:8080").is_err());
        assert!(parse_metrics_bind("9464", "0.0.0.0:8080").is_err());
        // Port 0 (tests) picks a free port for each.
        assert!(parse_metrics_bind("127.0.0.1:0", "127.0.0.1:0").is_ok());
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

//! Where mail goes, decided once at start-up from the configuration:
//! * `PULSE_SMTP_URL`: an SMTP server through `lettre`. `smtp://host[:port]` is a plain
//!   connection (port 25; for a relay or mail sink on this machine); `?tls=starttls` upgrades it
//!   with STARTTLS and refuses a server that cannot (port 587), `?tls=opportunistic` upgrades
//!   when offered; `smtps://` is TLS from the first byte (port 465). `user:password@` signs in
//!   (AUTH); a password never travels unencrypted except to a loopback host. The certificate is
//!   checked against the system's trust store (OpenSSL's `SSL_CERT_FILE` adds a private CA).
//! * otherwise a folder of `.eml` files: `PULSE_MAIL_DIR`, or `<database file>.mail/` beside a
//!   SQLite database (checked at start-up: a folder this process can write in);
//! * otherwise (PostgreSQL without either) nowhere: messages stay queued in the outbox, and
//!   start-up and the staff outbox page say so.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::Transport as _;
use lettre::message::Mailbox;
use lettre::transport::smtp::SmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};

use crate::config::{Config, SecretText};
use crate::db::DatabaseUrl;

/// How long one SMTP conversation may stall before it counts as a temporary failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub enum Transport {
    Smtp {
        transport: Box<SmtpTransport>,
        /// Where, in words without credentials (for logs and the staff page).
        server: String,
        /// Kept to scrub it from any error text before that is stored or logged.
        password: Option<SecretText>,
    },
    Folder(PathBuf),
    /// No delivery configured: messages wait in the outbox.
    Held,
}

/// What a delivery attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Worth trying again later: a 4xx reply, a refused or dropped connection, a timeout, a
    /// full disk.
    Temporary(String),
    /// A 5xx reply: trying again would get the same answer.
    Permanent(String),
}

/// The configured delivery and sender.
#[derive(Clone)]
pub struct Delivery {
    pub transport: Transport,
    pub from: Mailbox,
}

impl Delivery {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let transport = match (&config.smtp_url, &config.mail_dir) {
            (Some(url), _) => smtp(url)?,
            (None, Some(dir)) => Transport::Folder(mail_folder(dir, "PULSE_MAIL_DIR")?),
            (None, None) => match DatabaseUrl::parse(&config.database_url) {
                DatabaseUrl::Sqlite(path) => Transport::Folder(mail_folder(
                    &format!("{path}.mail"),
                    "the mail folder beside the SQLite database (PULSE_MAIL_DIR chooses another)",
                )?),
                DatabaseUrl::Postgres(_) => Transport::Held,
            },
        };
        Ok(Self {
            transport,
            from: sender(config)?,
        })
    }

    /// Where mail goes, in words (never with a password).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp { server, .. } => format!("Mail is sent through {server}."),
            Transport::Folder(dir) => format!(
                "Mail is written as .eml files to {}/ (set PULSE_SMTP_URL to send it).",
                dir.display()
            ),
            Transport::Held => "Mail is not delivered: set PULSE_SMTP_URL (or PULSE_MAIL_DIR); \
                 until then messages wait in the outbox."
                .to_owned(),
        }
    }

    /// The domain of Message-IDs: the sender's.
    pub fn message_id_domain(&self) -> String {
        self.from.email.domain().to_owned()
    }
}

/// The folder `.eml` files go to (`named` in errors), checked at start-up rather than at the
/// first message: a folder this process can write to, or one to be made (mode 0700, with the
/// first message) in a folder that exists and it can write to.
fn mail_folder(dir: &str, named: &str) -> anyhow::Result<PathBuf> {
    let folder = PathBuf::from(dir);
    let writable_place = if folder.exists() {
        if !folder.is_dir() {
            bail!("{named}: {dir} is not a folder");
        }
        folder.clone()
    } else {
        match folder.parent() {
            Some(parent) if parent.as_os_str().is_empty() => PathBuf::from("."),
            Some(parent) if parent.is_dir() => parent.to_owned(),
            _ => bail!(
                "{named}: {dir} cannot be made, since the folder it would go in does not exist"
            ),
        }
    };
    let probe = writable_place.join(format!(".pulse-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| format!("{named}: cannot write in {}", writable_place.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(folder)
}

/// `PULSE_MAIL_FROM`, or `Pulse <pulse@host of PULSE_PUBLIC_URL>` (`pulse@localhost` without).
fn sender(config: &Config) -> anyhow::Result<Mailbox> {
    let default = || {
        let host = config
            .public_url
            .as_deref()
            .and_then(|url| url.split_once("://"))
            .map(|(_, rest)| rest.split(':').next().unwrap_or(rest))
            .filter(|host| host.contains('.'))
            .unwrap_or("localhost");
        format!("Pulse <pulse@{host}>")
    };
    let raw = config.mail_from.clone().unwrap_or_else(default);
    raw.parse().with_context(|| {
        format!("PULSE_MAIL_FROM must be an address like Pulse <pulse@example.com>, got {raw:?}")
    })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn decoded(text: &str) -> anyhow::Result<String> {
    Ok(percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .context("PULSE_SMTP_URL: the user or password is not valid percent-encoded UTF-8")?
        .into_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    Opportunistic,
    Implicit,
}

/// Reads `PULSE_SMTP_URL`. Errors describe the problem without repeating the URL, which may
/// hold the password.
fn smtp(url: &SecretText) -> anyhow::Result<Transport> {
    const EXAMPLE: &str = "e.g. smtp://127.0.0.1:1025, smtp://user:password@smtp.example.com?tls=starttls or smtps://user:password@smtp.example.com";
    let parsed = url::Url::parse(url.0.trim())
        .map_err(|e| anyhow::anyhow!("PULSE_SMTP_URL is not a valid URL ({e}); {EXAMPLE}"))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .with_context(|| format!("PULSE_SMTP_URL names no host; {EXAMPLE}"))?
        .to_owned();
    let mut tls = None;
    for (name, value) in parsed.query_pairs() {
        match name.as_ref() {
            "tls" if tls.is_none() => tls = Some(value.into_owned()),
            other => bail!(
                "PULSE_SMTP_URL: unknown or repeated parameter {other:?}; only tls= is understood"
            ),
        }
    }
    let security = match (parsed.scheme(), tls.as_deref()) {
        ("smtps", None) => Security::Implicit,
        ("smtp", None | Some("none")) => Security::Plain,
        ("smtp", Some("starttls" | "required")) => Security::StartTls,
        ("smtp", Some("opportunistic")) => Security::Opportunistic,
        ("smtp" | "smtps", Some(other)) => bail!(
            "PULSE_SMTP_URL: tls={other:?} is not understood; use tls=starttls, tls=opportunistic or tls=none (smtps:// is always TLS)"
        ),
        (scheme, _) => bail!("PULSE_SMTP_URL must start with smtp:// or smtps://, not {scheme}://"),
    };
    let port = parsed.port().unwrap_or(match security {
        Security::Plain => 25,
        Security::StartTls | Security::Opportunistic => 587,
        Security::Implicit => 465,
    });
    let password = parsed.password().map(decoded).transpose()?;
    let encrypted = matches!(security, Security::StartTls | Security::Implicit);
    if password.is_some() && !encrypted && !is_loopback(&host) {
        bail!(
            "PULSE_SMTP_URL has a password but no TLS, so it would travel unencrypted: use \
             smtps:// or ?tls=starttls (only a loopback host may be reached in plain text)"
        );
    }
    let parameters = || TlsParameters::new(host.clone()).context("PULSE_SMTP_URL: TLS set-up");
    let mut builder = SmtpTransport::builder_dangerous(host.clone())
        .port(port)
        .timeout(Some(SMTP_TIMEOUT));
    builder = match security {
        Security::Plain => builder.tls(Tls::None),
        Security::StartTls => builder.tls(Tls::Required(parameters()?)),
        Security::Opportunistic => builder.tls(Tls::Opportunistic(parameters()?)),
        Security::Implicit => builder.tls(Tls::Wrapper(parameters()?)),
    };
    let user = decoded(parsed.username())?;
    let signs_in = !user.is_empty();
    if signs_in {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.clone().unwrap_or_default(),
        ));
    }
    let how = match security {
        Security::Plain => "plain",
        Security::StartTls => "STARTTLS",
        Security::Opportunistic => "STARTTLS when offered",
        Security::Implicit => "TLS",
    };
    let login = if signs_in {
        format!(", signing in as {user}")
    } else {
        String::new()
    };
    Ok(Transport::Smtp {
        transport: Box::new(builder.build()),
        server: format!("SMTP at {host}:{port} ({how}{login})"),
        password: password.map(SecretText),
    })
}

impl Transport {
    /// Delivers `message` (to be saved as `file_name` in a folder). Blocking: call it on the
    /// blocking pool.
    pub fn deliver(&self, message: &lettre::Message, file_name: &str) -> Outcome {
        match self {
            Transport::Smtp {
                transport,
                password,
                ..
            } => match transport.send(message) {
                Ok(_) => Outcome::Delivered,
                Err(e) => {
                    let text = scrub(&e.to_string(), password.as_ref());
                    if e.is_permanent() {
                        Outcome::Permanent(text)
                    } else {
                        Outcome::Temporary(text)
                    }
                }
            },
            Transport::Folder(dir) => match write_eml(dir, file_name, &message.formatted()) {
                Ok(()) => Outcome::Delivered,
                Err(e) => Outcome::Temporary(format!("{e:#}")),
            },
            Transport::Held => Outcome::Temporary("no mail delivery is configured".into()),
        }
    }
}

/// `text` without the SMTP password, should a server or library ever repeat it.
fn scrub(text: &str, password: Option<&SecretText>) -> String {
    match password {
        Some(secret) if !secret.0.is_empty() => text.replace(&secret.0, "[redacted]"),
        _ => text.to_owned(),
    }
}

/// Writes the message whole or not at all (a temporary file renamed into place), readable by
/// this user only: a reset message carries a live link. Writing the same message again
/// replaces it, so a retried delivery leaves one file.
fn write_eml(dir: &Path, file_name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating the mail folder {}", dir.display()))?;
    let path = dir.join(file_name);
    let partial = dir.join(format!(".{file_name}.partial"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&partial)
        .with_context(|| format!("writing {}", partial.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_of(url: &str) -> anyhow::Result<String> {
        match smtp(&SecretText(url.into()))? {
            Transport::Smtp { server, .. } => Ok(server),
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_url_chooses_tls_port_and_sign_in() {
        assert_eq!(
            server_of("smtp://127.0.0.1:1025").unwrap(),
            "SMTP at 127.0.0.1:1025 (plain)"
        );
        assert_eq!(
            server_of("smtps://pulse:s%40cret@smtp.example.com").unwrap(),
            "SMTP at smtp.example.com:465 (TLS, signing in as pulse)"
        );
        assert_eq!(
            server_of("smtp://u:p@smtp.example.com?tls=starttls").unwrap(),
            "SMTP at smtp.example.com:587 (STARTTLS, signing in as u)"
        );
        assert_eq!(
            server_of("smtp://mail.internal?tls=opportunistic").unwrap(),
            "SMTP at mail.internal:587 (STARTTLS when offered)"
        );
        assert_eq!(
            server_of("smtp://relay.internal").unwrap(),
            "SMTP at relay.internal:25 (plain)"
        );
    }

    #[test]
    fn mistakes_are_explained_without_repeating_the_password() {
        for bad in [
            "smtp://u:hunter2hunter2@smtp.example.com",
            "smtp://u:hunter2hunter2@smtp.example.com?tls=opportunistic",
            "smtp://u:hunter2hunter2@smtp.example.com?tls=maybe",
            "smtp://u:hunter2hunter2@smtp.example.com?port=1",
            "imap://u:hunter2hunter2@smtp.example.com",
            "smtp://u:hunter2hunter2@",
            "not a url hunter2hunter2",
        ] {
            let error = format!("{:#}", server_of(bad).unwrap_err());
            assert!(!error.contains("hunter2hunter2"), "{bad}: {error}");
            assert!(error.contains("PULSE_SMTP_URL"), "{bad}: {error}");
        }
        // A plain connection with a password is fine to a loopback relay.
        assert!(server_of("smtp://u:p@127.0.0.1:2525").is_ok());
    }

    #[test]
    fn error_texts_never_carry_the_password() {
        let secret = SecretText("hunter2hunter2".into());
        assert_eq!(
            scrub("535 bad credentials hunter2hunter2", Some(&secret)),
            "535 bad credentials [redacted]"
        );
    }
}

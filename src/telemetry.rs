//! Structured logs to stderr, with anything shaped like a secret redacted from every line on its
//! way out, whichever field or message carries it (a query string, a `User-Agent`, …): API
//! tokens (`pulse_` and a long base62 run, percent-encoded or not, as in `?key=pulse%5F…`),
//! bearer and HTTP Basic credentials, and the values of parameters named like passwords, tokens,
//! secrets, codes and session cookies.
use std::borrow::Cow;
use std::io::{IsTerminal, Write};

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

static FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// Structured logs to stderr; `PULSE_LOG_FORMAT=json` for one JSON object a line.
pub fn init(format: LogFormat) {
    FORMAT.get_or_init(|| format);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour codes only for a person at a terminal; they would split `name=value` apart.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(|| Redacting(std::io::stderr()));
    if format == LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The error that ends the process, as the last line of its log: a JSON object in JSON mode
/// (so a log collector keeps it with the rest), otherwise `Error: …` for the person at the
/// terminal. Redacted like every other line.
pub fn fatal(error: &anyhow::Error) {
    // One line, whatever the cause's own text spans (libpq's messages do).
    let message = format!("{error:#}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if FORMAT.get() == Some(&LogFormat::Json) {
        tracing::error!(error = %message, "pulse stopped");
    } else {
        let mut stderr = std::io::stderr();
        let _ = writeln!(stderr, "Error: {}", redact(&message));
    }
}

/// Writes what the formatter gives it (one whole line at a time) with secrets redacted.
struct Redacting<W>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&line).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

const REDACTED: &str = "[redacted]";
/// Parameter and cookie names (lower case) whose values are secrets.
const SECRET_NAMES: [&str; 17] = [
    "password",
    "current_password",
    "new_password",
    "passwd",
    "token",
    "access_token",
    "csrf_token",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "code",
    "recovery_code",
    "pulse_session",
    "__host-pulse_session",
    "pulse_sign_in",
    "pulse_reveal",
];
/// How many characters of a token stay: `pulse_` and the first four, as the screen shows it.
const TOKEN_KEPT: usize = 10;
/// A base62 run at least this long after `pulse_` is taken for a token.
const TOKEN_MIN_RUN: usize = 20;

/// `text` with every secret-shaped value replaced by `[redacted]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some((start, value)) = next_secret(rest) {
        out.push_str(&rest[..start]);
        out.push_str(REDACTED);
        rest = &rest[start + value..];
        changed = true;
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn is_base62(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Where the next secret value starts in `text` and how long it is, in bytes.
fn next_secret(text: &str) -> Option<(usize, usize)> {
    [token_at(text), credentials_at(text), named_value_at(text)]
        .into_iter()
        .flatten()
        .min_by_key(|(start, _)| *start)
}

/// A character of a line as it reads once percent-decoded, and the bytes of the line it came
/// from (three for `%70`, more when encoded twice).
#[derive(Clone, Copy)]
struct Decoded {
    c: char,
    start: usize,
    end: usize,
}

fn hex_value(c: char) -> Option<u8> {
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// One round of percent-decoding (ASCII only: tokens are ASCII).
fn percent_decoded(view: &[Decoded]) -> Vec<Decoded> {
    let mut out = Vec::with_capacity(view.len());
    let mut i = 0;
    while i < view.len() {
        let byte = match view.get(i..i + 3) {
            Some([percent, high, low]) if percent.c == '%' => hex_value(high.c)
                .zip(hex_value(low.c))
                .map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match byte.filter(u8::is_ascii_graphic) {
            Some(byte) => {
                out.push(Decoded {
                    c: char::from(byte),
                    start: view[i].start,
                    end: view[i + 2].end,
                });
                i += 3;
            }
            None => {
                out.push(view[i]);
                i += 1;
            }
        }
    }
    out
}

/// `text` as it reads percent-decoded (up to three times over: `%2570` is `%70` is `p`).
fn decoded_view(text: &str) -> Vec<Decoded> {
    let mut view: Vec<Decoded> = text
        .char_indices()
        .map(|(start, c)| Decoded {
            c,
            start,
            end: start + c.len_utf8(),
        })
        .collect();
    for _ in 0..3 {
        let next = percent_decoded(&view);
        if next.len() == view.len() {
            break;
        }
        view = next;
    }
    view
}

fn token_at(text: &str) -> Option<(usize, usize)> {
    if !text.contains(['_', '%']) {
        return None;
    }
    let view = decoded_view(text);
    let chars: Vec<char> = view.iter().map(|d| d.c).collect();
    let prefix: Vec<char> = "pulse_".chars().collect();
    (0..chars.len()).find_map(|at| {
        if !chars[at..].starts_with(&prefix) {
            return None;
        }
        let run = chars[at + 6..]
            .iter()
            .take_while(|c| is_base62(**c))
            .count();
        (run >= TOKEN_MIN_RUN).then(|| {
            let start = view[at + TOKEN_KEPT].start;
            (start, view[at + 5 + run].end - start)
        })
    })
}

fn value_len(text: &str) -> usize {
    text.find(|c: char| c.is_whitespace() || "&\"';,}\\".contains(c))
        .unwrap_or(text.len())
}

/// RFC 6750's `b64token` (and base64, which Basic credentials are): what credentials are made of.
fn is_credential(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/=".contains(c)
}

/// Whether `value` is HTTP Basic credentials: base64 of `user:password`.
fn is_basic_credential(value: &str) -> bool {
    use base64::Engine;
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(value)
        .is_ok_and(|plain| plain.contains(&b':'))
}

/// The credentials after `Bearer ` (RFC 6750) or `Basic ` (RFC 7617).
fn credentials_at(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    ["bearer ", "basic "]
        .into_iter()
        .flat_map(|scheme| lower.match_indices(scheme).map(move |(at, _)| (scheme, at)))
        .filter_map(|(scheme, at)| {
            let start = at + scheme.len();
            let len = text[start..]
                .find(|c: char| !is_credential(c))
                .unwrap_or(text.len() - start);
            let value = &text[start..start + len];
            let secret = match scheme {
                "basic " => is_basic_credential(value),
                _ => len >= 8,
            };
            secret.then_some((start, len))
        })
        .min_by_key(|(start, _)| *start)
}

/// `name=value` or `"name":"value"` where `name` is one of `SECRET_NAMES` as a whole word; also
/// percent-encoded inside another parameter's value (`next=%2Finvitation%3Ftoken%3D…`).
fn named_value_at(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    // After a percent-escape (`%3f`, or `%253f` encoded twice), a name starts a word.
    let escaped = |before: &str| {
        let hex = before.len() >= 3
            && before.as_bytes()[before.len() - 2..]
                .iter()
                .all(u8::is_ascii_hexdigit);
        let before = before.get(..before.len().saturating_sub(2)).unwrap_or("");
        hex && (before.ends_with('%') || before.ends_with("%25"))
    };
    let word_start = |at: usize| {
        escaped(&lower[..at])
            || !lower[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    SECRET_NAMES
        .iter()
        .flat_map(|name| {
            lower
                .match_indices(name)
                .filter(move |(at, _)| word_start(*at))
                .map(move |(at, _)| at + name.len())
        })
        .filter_map(|after| {
            let rest = &lower[after..];
            let separator = ["=", "\":\"", "\":", "%3d", "%253d"]
                .into_iter()
                .find(|s| rest.starts_with(s))?;
            let start = after + separator.len();
            let len = value_len(&text[start..]);
            (len > 0 && !text[start..].starts_with(REDACTED)).then_some((start, len))
        })
        .min_by_key(|(start, _)| *start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "pulse_8Hq2x7Vb0n3Kc5Zr1Tq9Wm4Ls6Py2Ed8Gf0Jh3Ua5Bc7Xk1Q2w3E4";

    proptest::proptest! {
        // Redaction runs on every log line, whatever a request put in it: it must never panic
        // (schemathesis found "pulse_" followed by a short run doing so).
        #[test]
        fn any_line_is_redacted_without_panicking(
            text in ".{0,80}",
            near_token in "pulse_[0-9A-Za-z]{0,60}",
            name in "(password|token|bearer |basic |authorization)[=: \"]{0,2}",
        ) {
            redact(&text);
            redact(&format!("{text}{near_token}{text}"));
            redact(&format!("{name}{text}"));
            redact(&format!("{text}{name}"));
        }
    }

    #[test]
    fn tokens_anywhere_keep_only_their_public_prefix() {
        let line = format!("GET /api/v1/whoami?access_token={TOKEN} 200");
        let clean = redact(&line);
        assert!(!clean.contains(&TOKEN[10..20]), "{clean}");
        assert!(
            clean.starts_with("GET /api/v1/whoami?access_token="),
            "{clean}"
        );
        let bare = format!("leaked {TOKEN} here");
        assert_eq!(redact(&bare), "leaked pulse_8Hq2[redacted] here");
        // The display prefix alone is no secret.
        assert_eq!(redact("token prefix pulse_8Hq2"), "token prefix pulse_8Hq2");
    }

    #[test]
    fn percent_encoded_tokens_are_redacted_too() {
        let underscore = TOKEN.replacen('_', "%5F", 1);
        let p = TOKEN.replacen('p', "%70", 1);
        let twice = TOKEN.replacen('p', "%2570", 1);
        let every: String = TOKEN.bytes().map(|b| format!("%{b:02X}")).collect();
        for encoded in [underscore, p, twice, every] {
            let line = format!("GET /api/v1/whoami?key={encoded}&x=1 user_agent=\"ua {encoded}\"");
            let clean = redact(&line);
            assert!(
                !clean.contains(&encoded) && !clean.contains(&TOKEN[20..]),
                "{clean}"
            );
            assert_eq!(clean.matches(REDACTED).count(), 2, "{clean}");
            assert!(clean.ends_with("\""), "{clean}");
        }
        assert_eq!(redact("100%25 sure 50%"), "100%25 sure 50%");
    }

    #[test]
    fn named_secrets_and_bearer_credentials_are_redacted() {
        for (line, secret) in [
            (
                "http.target=/login?password=hunter2hunter2&x=1",
                "hunter2hunter2",
            ),
            ("{\"password\":\"s3cret-value\"}", "s3cret-value"),
            ("authorization: Bearer abc.def.ghi", "abc.def.ghi"),
            (
                "authorization: Basic cHVsc2VfOEhxMng3VmIwbjNLYzVacjFUcTlXbTRMczZQeTJFZDhHZjBKaDNVYTVCYzdYazFRMnczRTQ6",
                "cHVsc2VfOEhxMng3VmIw",
            ),
            ("AUTHORIZATION: basic dXNlcjpwdWxzZV8=", "dXNlcjpwdWxzZV8="),
            ("csrf_token=AbC123xyz next=/", "AbC123xyz"),
            (
                "GET /login?next=%2Finvitation%3Ftoken%3DzsVIkO85l58q4wi6 200",
                "zsVIkO85l58q4wi6",
            ),
            ("next=%252Finvitation%253Ftoken%253DAbC123xyz", "AbC123xyz"),
            ("cookie: pulse_session=QWERTY123; other=1", "QWERTY123"),
            ("totp code=123456", "123456"),
            ("current_password=p4ss&new_password=w0rd", "w0rd"),
            (
                "authorization: Basic dXNlcjpwdWxzZV9zZWNyZXQ=",
                "dXNlcjpwdWxzZV9zZWNyZXQ",
            ),
            (
                "Authorization: basic OnB1bHNlX3NlY3JldA",
                "OnB1bHNlX3NlY3JldA",
            ),
        ] {
            let clean = redact(line);
            assert!(!clean.contains(secret), "{line} -> {clean}");
            assert!(clean.contains(REDACTED), "{line} -> {clean}");
        }
        for plain in [
            "user_id=3 signed in",
            "http.status_code=401 otel.status_code=\"OK\"",
            "This API requires a token: send it as `Authorization: Bearer <token>`.",
            "basic realm=\"pulse\" charset=\"UTF-8\"",
            "basic authentication is not offered",
        ] {
            assert!(matches!(redact(plain), Cow::Borrowed(_)), "{plain}");
        }
    }
}

//! What every handler and extractor can reach, and the names of the cookies the app sets.
//! Holds configuration, the database, the clock, keys, the API's rate limiter and usage log,
//! the metrics and the mail sender's handle; any layer above `mail` may import it.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::cookie::Key;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Database;
use crate::domain::api_tokens::usage::UsageLog;
use crate::domain::partner_keys::PartnerKeys;
use crate::domain::rate_limit::RateLimiter;
use crate::domain::reveal::RevealKey;
use crate::mail::sender::Sender;
use crate::observability::metrics::Metrics;

/// The session cookie (actix-session, rows in the `sessions` table).
pub const SESSION_COOKIE: &str = "pulse_session";
/// Its name when cookies are `Secure`: browsers accept a `__Host-` cookie only over HTTPS, for
/// path `/` and without a `Domain`, so no sibling subdomain can set or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-pulse_session";

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

pub fn sign_in_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SIGN_IN_COOKIE
    } else {
        SIGN_IN_COOKIE
    }
}
/// The signed cookie that carries the sign-in form's CSRF token for a visitor who has no
/// session yet (`auth::csrf`), with its `__Host-` name when cookies are `Secure`.
pub const SIGN_IN_COOKIE: &str = "pulse_sign_in";
pub const SECURE_SIGN_IN_COOKIE: &str = "__Host-pulse_sign_in";
/// The short-lived cookie that marks the token just issued, for its one first display.
pub const NEW_TOKEN_COOKIE: &str = "pulse_new_token";

pub struct AppState {
    pub db: Database,
    pub config: Config,
    pub clock: Clock,
    /// Signs the session cookie and the sign-in form's cookie; shared by every instance.
    pub cookie_key: Key,
    /// This instance's per-token API budgets (synced with the other instances in the background).
    pub api_limiter: Arc<RateLimiter>,
    /// `http://` and the address the server listens on (with the port the OS chose).
    pub listen_url: String,
    /// Seals new tokens for their reveal window; never stored in the database.
    pub reveal_key: RevealKey,
    /// When this instance last wrote each token's use (see `domain::api_tokens::usage`).
    pub usage: UsageLog,
    /// Secret-scanning partners whose signature a leak report must carry; none: unsigned
    /// reports, limited per client place by `leak_reports`.
    pub partner_keys: PartnerKeys,
    /// Unsigned leak reports per client place (this instance's count).
    pub leak_reports: RateLimiter<String>,
    /// This instance's mail sender (what it says about delivery, for the staff outbox page).
    pub mail: Arc<Sender>,
    /// This instance's Prometheus metrics (served on `PULSE_METRICS_BIND`).
    pub metrics: Arc<Metrics>,
    /// Set once the instance was told to stop: `/readyz` fails, requests are still served.
    pub draining: Arc<AtomicBool>,
}

impl AppState {
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

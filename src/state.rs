//! What every handler and extractor can reach, and the names of the cookies the app sets.
//! Depends only on configuration, the database, the clock and the rate limiter, so any layer
//! above the domain may import it.
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Database;
use crate::domain::rate_limit::RateLimiter;

/// The session cookie (actix-session, rows in the `sessions` table).
pub const SESSION_COOKIE: &str = "pulse_session";
/// The short-lived cookie that holds the key to a freshly generated API token.
pub const REVEAL_COOKIE: &str = "pulse_reveal";

pub struct AppState {
    pub db: Database,
    pub config: Config,
    pub clock: Clock,
    /// This instance's per-token API budgets (synced with the other instances in the background).
    pub api_limiter: Arc<RateLimiter>,
    /// `http://` and the address the server listens on (with the port the OS chose).
    pub listen_url: String,
}

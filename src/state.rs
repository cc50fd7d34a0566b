//! What every handler and extractor can reach, and the names of the cookies the app sets.
//! Depends only on configuration, the database and the clock, so any layer may import it.
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Database;
use crate::domain::api_tokens::usage::UsageLog;
use crate::domain::reveal::RevealKey;

/// The session cookie (actix-session, rows in the `sessions` table).
pub const SESSION_COOKIE: &str = "pulse_session";
/// The short-lived cookie that marks the token just issued, for its one first display.
pub const NEW_TOKEN_COOKIE: &str = "pulse_new_token";

pub struct AppState {
    pub db: Database,
    pub config: Config,
    pub clock: Clock,
    /// `http://` and the address the server listens on (with the port the OS chose).
    pub listen_url: String,
    /// Seals new tokens for their reveal window; never stored in the database.
    pub reveal_key: RevealKey,
    /// When this instance last wrote each token's use (see `domain::api_tokens::usage`).
    pub usage: UsageLog,
}

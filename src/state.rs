//! What every handler and extractor can reach, and the names of the cookies the app sets.
//! Depends only on configuration, the database and the clock, so any layer may import it.
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Database;

/// The session cookie (actix-session, rows in the `sessions` table).
pub const SESSION_COOKIE: &str = "pulse_session";
/// The short-lived cookie that holds the key to a freshly generated API token.
pub const REVEAL_COOKIE: &str = "pulse_reveal";

pub struct AppState {
    pub db: Database,
    pub config: Config,
    pub clock: Clock,
    /// `http://` and the address the server listens on (with the port the OS chose).
    pub listen_url: String,
}

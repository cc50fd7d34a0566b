//! actix-session storage in the application database: sessions survive restarts, are shared by
//! every instance, and end for real at sign-out. Rows are keyed by the SHA-256 digest of the
//! cookie's key, so a copy of the database does not let anyone ride a live session.
use std::collections::HashMap;

use actix_session::Session;
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{Duration, NaiveDateTime};

use anyhow::Context;
use serde::Serialize;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Database;
use crate::domain::secret;
use crate::error::AppError;
use crate::repo::sessions::{self, SessionData};

/// Key in the session state holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";
/// Between the right password and the second factor (`auth::pending_sign_in`): the user, not
/// signed in yet, and when that chance ends (Unix seconds), however the session is used.
pub const PENDING_USER_KEY: &str = "pending_user_id";
pub const PENDING_UNTIL_KEY: &str = "pending_until";
/// Keys for what the account page shows about a session: a random handle to end it by (the
/// row id is the digest of the cookie's key and stays out of pages), the browser's
/// `User-Agent`, and the address it signed in from. Copied into columns when the row is written.
pub const HANDLE_KEY: &str = "handle";
pub const DEVICE_KEY: &str = "device";
pub const ADDR_KEY: &str = "client_addr";
/// A page view pushes the session's expiry back at most this often, so reading pages does not
/// mean writing the session row every time; the idle timeout is right to within this.
pub const EXTEND_AT_MOST_EVERY: Duration = Duration::minutes(1);

/// Stores `value` under `key` in the session's state.
pub fn remember<T: Serialize>(session: &Session, key: &str, value: &T) -> Result<(), AppError> {
    session
        .insert(key, value)
        .with_context(|| format!("storing {key} in the session"))?;
    Ok(())
}

#[derive(Clone)]
pub struct DbSessionStore {
    db: Database,
    clock: Clock,
    idle_timeout: Duration,
    absolute_lifetime: Duration,
}

impl DbSessionStore {
    pub fn new(db: Database, clock: Clock, config: &Config) -> Self {
        Self {
            db,
            clock,
            idle_timeout: config.session_idle,
            absolute_lifetime: config.session_absolute,
        }
    }

    fn expiry(&self, ttl: &CookieDuration) -> NaiveDateTime {
        self.clock.now() + Duration::seconds(ttl.whole_seconds())
    }

    fn row(&self, state: &State, ttl: &CookieDuration) -> serde_json::Result<Row> {
        let text = |key| state.get(key).and_then(|v| serde_json::from_str(v).ok());
        let pending_until = pending_until_of(state);
        let expiry = self.expiry(ttl);
        Ok(Row {
            json: serde_json::to_string(state)?,
            user_id: user_id_of(state),
            handle: text(HANDLE_KEY),
            device: text(DEVICE_KEY),
            client_addr: text(ADDR_KEY),
            expires_at: pending_until.map_or(expiry, |until| until.min(expiry)),
            pending_until,
        })
    }

    /// Inserts or updates the row `id`; the number of rows written.
    async fn write(&self, id: String, row: Row, how: Write) -> Result<usize, AppError> {
        let now = self.clock.now();
        self.db
            .run(move |conn| {
                let data = SessionData {
                    user_id: row.user_id,
                    state: &row.json,
                    expires_at: row.expires_at,
                    handle: row.handle.as_deref(),
                    device: row.device.as_deref(),
                    client_addr: row.client_addr.as_deref(),
                    last_seen_at: now,
                    pending_until: row.pending_until,
                };
                Ok(match how {
                    Write::Insert => sessions::insert(conn, &id, &data, now).map(|()| 1)?,
                    Write::Update => sessions::update(conn, &id, &data, now)?,
                })
            })
            .await
    }
}

/// A session's state as stored: JSON, the signed-in user (for ending all of a user's sessions)
/// and the expiry.
struct Row {
    json: String,
    user_id: Option<i32>,
    handle: Option<String>,
    device: Option<String>,
    client_addr: Option<String>,
    expires_at: NaiveDateTime,
    pending_until: Option<NaiveDateTime>,
}

enum Write {
    Insert,
    Update,
}

type State = HashMap<String, String>;

fn row_id(key: &SessionKey) -> String {
    secret::sha256_hex(key.as_ref().as_bytes())
}

/// The user the session belongs to: signed in, or half-signed-in (so that every sign-out and
/// password change of theirs ends it too).
fn user_id_of(state: &State) -> Option<i32> {
    [USER_ID_KEY, PENDING_USER_KEY]
        .iter()
        .find_map(|key| state.get(*key).and_then(|v| v.parse().ok()))
}

fn pending_until_of(state: &State) -> Option<NaiveDateTime> {
    let seconds: i64 = state.get(PENDING_UNTIL_KEY)?.parse().ok()?;
    chrono::DateTime::from_timestamp(seconds, 0).map(|at| at.naive_utc())
}

fn new_key() -> SessionKey {
    SessionKey::try_from(secret::random_base62(64)).expect("64 characters is a valid key")
}

impl SessionStore for DbSessionStore {
    /// Loads a live session and, at most once a minute, pushes its idle expiry back (never that
    /// of a half-signed-in session: its few minutes run whatever it does). That push is best
    /// effort: when the database cannot be written (read-only, disk full) pages that only read
    /// still work, and the session merely expires on time.
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id = row_id(session_key);
        let now = self.clock.now();
        let created_after = now - self.absolute_lifetime;
        let extended = now + self.idle_timeout;
        let raw = self
            .db
            .run(move |conn| {
                let row = sessions::load(conn, &id, now, created_after)?;
                if let Some(live) = &row
                    && live.pending_until.is_none()
                    && live.expires_at < extended - EXTEND_AT_MOST_EVERY
                    && let Err(e) = sessions::touch(conn, &id, extended, now)
                {
                    tracing::warn!(error = %e, "could not extend a session");
                }
                Ok(row.map(|live| live.state))
            })
            .await
            .map_err(|e| LoadError::Other(e.into()))?;
        raw.map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: State, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let row = self
            .row(&state, ttl)
            .map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key();
        self.write(row_id(&key), row, Write::Insert)
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let row = self
            .row(&state, ttl)
            .map_err(|e| UpdateError::Serialization(e.into()))?;
        let updated = self
            .write(row_id(&session_key), row, Write::Update)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        if updated == 1 {
            return Ok(session_key);
        }
        // The row expired or was deleted meanwhile: start a fresh session rather than revive it.
        self.save(state, ttl).await.map_err(|e| match e {
            SaveError::Serialization(e) => UpdateError::Serialization(e),
            SaveError::Other(e) => UpdateError::Other(e),
        })
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &CookieDuration,
    ) -> anyhow::Result<()> {
        let id = row_id(session_key);
        let expires_at = self.expiry(ttl);
        let now = self.clock.now();
        self.db
            .run(move |conn| Ok(sessions::touch(conn, &id, expires_at, now)?))
            .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let id = row_id(session_key);
        self.db
            .run(move |conn| Ok(sessions::delete(conn, &id)?))
            .await?;
        Ok(())
    }
}

//! actix-session storage in the application database: sessions survive restarts, are shared by
//! every instance, and end for real at sign-out. Rows are keyed by the SHA-256 digest of the
//! cookie's key, so a copy of the database does not let anyone ride a live session.
use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{Duration, NaiveDateTime};

use crate::db::Database;
use crate::domain::{AppError, now, secret};
use crate::repo::sessions;

/// Key in the session state holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Clone)]
pub struct DbSessionStore {
    db: Database,
    absolute_lifetime: Duration,
}

impl DbSessionStore {
    pub fn new(db: Database, absolute_lifetime: Duration) -> Self {
        Self {
            db,
            absolute_lifetime,
        }
    }
}

type State = HashMap<String, String>;

fn row_id(key: &SessionKey) -> String {
    secret::sha256_hex(key.as_ref().as_bytes())
}

fn expiry(ttl: &CookieDuration) -> NaiveDateTime {
    now() + Duration::seconds(ttl.whole_seconds())
}

fn user_id_of(state: &State) -> Option<i32> {
    state.get(USER_ID_KEY).and_then(|v| v.parse().ok())
}

fn new_key() -> SessionKey {
    SessionKey::try_from(secret::random_base62(64)).expect("64 characters is a valid key")
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id = row_id(session_key);
        let created_after = now() - self.absolute_lifetime;
        let raw = self
            .db
            .run(move |conn| {
                sessions::load(conn, &id, now(), created_after).map_err(AppError::from)
            })
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!(e)))?;
        raw.map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: State, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let key = new_key();
        let id = row_id(&key);
        let expires_at = expiry(ttl);
        let user_id = user_id_of(&state);
        self.db
            .run(move |conn| {
                sessions::insert(conn, &id, user_id, &json, now(), expires_at)
                    .map_err(AppError::from)
            })
            .await
            .map_err(|e| SaveError::Other(anyhow::anyhow!(e)))?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let json =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let id = row_id(&session_key);
        let expires_at = expiry(ttl);
        let user_id = user_id_of(&state);
        let updated = self
            .db
            .run(move |conn| {
                sessions::update_state(conn, &id, user_id, &json, now(), expires_at)
                    .map_err(AppError::from)
            })
            .await
            .map_err(|e| UpdateError::Other(anyhow::anyhow!(e)))?;
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
        let expires_at = expiry(ttl);
        self.db
            .run(move |conn| sessions::touch(conn, &id, expires_at).map_err(AppError::from))
            .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let id = row_id(session_key);
        self.db
            .run(move |conn| sessions::delete(conn, &id).map_err(AppError::from))
            .await?;
        Ok(())
    }
}

//! A random marker per browser session, so that a record can be bound to the session that made
//! it (a new token's first display) without storing the session's key anywhere. Set at sign-in,
//! so that later page views only read it.
use actix_session::Session;

use crate::auth::session_store::remember;
use crate::domain::secret;
use crate::error::AppError;

const SESSION_KEY: &str = "marker";

/// Gives the session a fresh marker (at sign-in).
pub fn start(session: &Session) -> Result<String, AppError> {
    let marker = secret::random_base62(43);
    remember(session, SESSION_KEY, &marker)?;
    Ok(marker)
}

/// The digest of the session's marker, creating one for a session that has none.
pub fn digest(session: &Session) -> Result<String, AppError> {
    let marker = match session.get::<String>(SESSION_KEY) {
        Ok(Some(existing)) => existing,
        _ => start(session)?,
    };
    Ok(secret::sha256_hex(marker.as_bytes()))
}

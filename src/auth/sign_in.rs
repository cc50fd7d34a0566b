//! What signing in does to the session, whichever way it happens (password alone, with a second
//! factor, or a password change that ends every other session).
use actix_session::Session;
use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::NaiveDateTime;

use crate::auth::session_store::{ADDR_KEY, DEVICE_KEY, HANDLE_KEY, USER_ID_KEY, remember};
use crate::auth::{csrf, session_marker, sudo};
use crate::domain::secret;
use crate::error::AppError;

/// Starts the signed-in session of `user_id` at `now`: a fresh session id (defeating session
/// fixation), a fresh form token and session marker, the password counted as just entered (sudo
/// mode), and the facts the account page lists.
pub fn start_session(
    req: &HttpRequest,
    session: &Session,
    user_id: i32,
    addr: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    session.renew();
    csrf::forget(session);
    remember(session, USER_ID_KEY, &user_id)?;
    describe_session(req, session, addr)?;
    sudo::password_entered(session, now)?;
    session_marker::start(session)?;
    Ok(())
}

/// What the account page shows about a session: a handle to end it by, the browser's
/// `User-Agent` and the address it signed in from.
pub fn describe_session(req: &HttpRequest, session: &Session, addr: &str) -> Result<(), AppError> {
    let device = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    remember(session, HANDLE_KEY, &secret::random_base62(22))?;
    remember(
        session,
        DEVICE_KEY,
        &device.chars().take(256).collect::<String>(),
    )?;
    remember(session, ADDR_KEY, &addr)
}

/// Where a sign-in goes: where it was headed, except that staff start in their console.
pub fn landing(next: String, is_staff: bool) -> String {
    if next == "/" && is_staff {
        "/staff/orgs".to_owned()
    } else {
        next
    }
}

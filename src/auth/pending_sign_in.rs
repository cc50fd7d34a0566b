//! A pending sign-in: between the right password and the second factor, a session that signs no
//! one in yet. It belongs to its user (every sign-out, "sign out everywhere else" and password
//! change ends it, and the account page lists it), is tied to the password hash in use when it
//! began (a password changed meanwhile ends it), and ends `LIFETIME` after the password however
//! often it is used (`auth::session_store` never pushes its expiry back).
use actix_session::Session;
use actix_web::HttpRequest;
use chrono::{DateTime, Duration, NaiveDateTime};
use subtle::ConstantTimeEq;

use crate::auth::session_store::{PENDING_UNTIL_KEY, PENDING_USER_KEY, remember};
use crate::auth::sign_in::describe_session;
use crate::domain::secret;
use crate::error::AppError;
use crate::repo::users::{self, User};
use crate::state::AppState;

/// How long the second factor may take after the password (or the idle timeout, if shorter).
pub fn lifetime() -> Duration {
    Duration::minutes(5)
}

const NEXT_KEY: &str = "pending_next";
/// A digest of the password hash the sign-in began with.
const PASSWORD_KEY: &str = "pending_password";
/// Names this sign-in for its own cap on wrong codes.
const SIGN_IN_KEY: &str = "pending_sign_in";

fn password_fingerprint(user: &User) -> String {
    secret::sha256_hex(user.password_hash.as_bytes())
}

/// Starts a pending sign-in for `user`, who gave the right password at `now`, in a fresh session
/// (a new id: no fixation), to go to `next` once the second factor is given.
pub fn begin(
    req: &HttpRequest,
    session: &Session,
    (user, next): (&User, &str),
    (addr, now): (&str, NaiveDateTime),
    idle: Duration,
) -> Result<(), AppError> {
    session.renew();
    describe_session(req, session, addr)?;
    let until = now + lifetime().min(idle);
    remember(session, PENDING_USER_KEY, &user.id)?;
    remember(session, PENDING_UNTIL_KEY, &until.and_utc().timestamp())?;
    remember(session, PASSWORD_KEY, &password_fingerprint(user))?;
    remember(session, SIGN_IN_KEY, &secret::random_base62(22))?;
    remember(session, NEXT_KEY, &next)?;
    Ok(())
}

/// This session's pending sign-in: its user and its name.
pub struct PendingSignIn {
    pub user: User,
    pub sign_in: String,
}

/// The pending sign-in of this session, if it is still good at `now`: not past its lifetime,
/// and the user's password unchanged since it began. One that is no longer good is ended.
pub async fn current(
    session: &Session,
    state: &AppState,
) -> Result<Option<PendingSignIn>, AppError> {
    let get = |key| session.get::<serde_json::Value>(key).ok().flatten();
    let (Some(user_id), Some(until), Some(fingerprint), Some(sign_in)) = (
        get(PENDING_USER_KEY).and_then(|v| v.as_i64()),
        get(PENDING_UNTIL_KEY).and_then(|v| v.as_i64()),
        get(PASSWORD_KEY).and_then(|v| v.as_str().map(str::to_owned)),
        get(SIGN_IN_KEY).and_then(|v| v.as_str().map(str::to_owned)),
    ) else {
        return Ok(None);
    };
    let in_time =
        DateTime::from_timestamp(until, 0).is_some_and(|t| state.clock.now() < t.naive_utc());
    let user_id = i32::try_from(user_id).unwrap_or_default();
    let user = state
        .db
        .run(move |conn| Ok(users::find(conn, user_id)?))
        .await?;
    match user {
        Some(user)
            if in_time
                && bool::from(
                    password_fingerprint(&user)
                        .as_bytes()
                        .ct_eq(fingerprint.as_bytes()),
                ) =>
        {
            Ok(Some(PendingSignIn { user, sign_in }))
        }
        _ => {
            end(session);
            Ok(None)
        }
    }
}

/// Completes the pending sign-in: forgets it, and says where it was headed.
pub fn finish(session: &Session) -> String {
    for key in [
        PENDING_USER_KEY,
        PENDING_UNTIL_KEY,
        PASSWORD_KEY,
        SIGN_IN_KEY,
    ] {
        session.remove(key);
    }
    session
        .remove_as::<String>(NEXT_KEY)
        .and_then(Result::ok)
        .unwrap_or_else(|| "/".into())
}

/// Ends the pending sign-in (and its session row).
pub fn end(session: &Session) {
    session.purge();
}

//! People as staff see them on `/staff/users`: found by email or name, with their memberships
//! and roles, whether they are staff, two-factor sign-in, the sign-in lock and their sessions.
//! What staff may do to an account is `domain::recovery`.
use chrono::{Duration, NaiveDateTime};

use crate::db::DbConn;
use crate::domain::accounts::{self, SignInLock};
use crate::domain::sessions;
use crate::error::AppError;
use crate::repo::organisations::Organisation;
use crate::repo::users::User;
use crate::repo::{memberships, users};

/// The most people one search shows.
pub const RESULTS_MAX: i64 = 20;

pub struct Person {
    pub user: User,
    /// (organisation, role), by organisation name.
    pub memberships: Vec<(Organisation, String)>,
    pub lock: SignInLock,
    /// Live sessions, half-signed-in ones too.
    pub sessions: usize,
}

fn details(
    conn: &mut DbConn,
    user: User,
    session_lifetime: Duration,
    now: NaiveDateTime,
) -> Result<Person, AppError> {
    Ok(Person {
        memberships: memberships::organisations_of(conn, user.id)?,
        lock: accounts::sign_in_lock(conn, &user, now)?,
        sessions: sessions::list(conn, user.id, None, session_lifetime, now)?.len(),
        user,
    })
}

/// The people whose email or name contains `raw` (at most `RESULTS_MAX`), and whether there
/// are more.
pub fn find(
    conn: &mut DbConn,
    raw: &str,
    session_lifetime: Duration,
    now: NaiveDateTime,
) -> Result<(Vec<Person>, bool), AppError> {
    let text = raw.trim().to_lowercase();
    if text.is_empty() {
        return Ok((Vec::new(), false));
    }
    if text.chars().count() > 254 {
        return Err(AppError::invalid(
            "The search is too long: at most 254 characters.",
        ));
    }
    let mut found = users::search(conn, &text, RESULTS_MAX + 1)?;
    let more = found.len() as i64 > RESULTS_MAX;
    found.truncate(RESULTS_MAX as usize);
    let people = found
        .into_iter()
        .map(|user| details(conn, user, session_lifetime, now))
        .collect::<Result<_, _>>()?;
    Ok((people, more))
}

/// The person with id `user_id`.
pub fn person(
    conn: &mut DbConn,
    user_id: i32,
    session_lifetime: Duration,
    now: NaiveDateTime,
) -> Result<Person, AppError> {
    let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    details(conn, user, session_lifetime, now)
}

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::sessions;

/// A live session as loaded: its state, when it expires, and for a half-signed-in session (the
/// password given, the second factor not yet) when that ends.
#[derive(Queryable)]
pub struct LiveSession {
    pub state: String,
    pub expires_at: NaiveDateTime,
    pub pending_until: Option<NaiveDateTime>,
}

/// A live session. `id` is the SHA-256 digest of the cookie's session key, never the key
/// itself.
pub fn load(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    created_after: NaiveDateTime,
) -> QueryResult<Option<LiveSession>> {
    sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::created_at.gt(created_after))
        .filter(
            sessions::pending_until
                .is_null()
                .or(sessions::pending_until.gt(now)),
        )
        .select((
            sessions::state,
            sessions::expires_at,
            sessions::pending_until,
        ))
        .first(conn)
        .optional()
}

/// What a session row holds besides its id and creation time.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = sessions, treat_none_as_null = true)]
pub struct SessionData<'a> {
    pub user_id: Option<i32>,
    pub state: &'a str,
    pub expires_at: NaiveDateTime,
    pub handle: Option<&'a str>,
    pub device: Option<&'a str>,
    pub client_addr: Option<&'a str>,
    pub last_seen_at: NaiveDateTime,
    pub pending_until: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut DbConn,
    id: &str,
    data: &SessionData,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((sessions::id.eq(id), sessions::created_at.eq(now), data))
        .execute(conn)
        .map(|_| ())
}

/// Replaces the data of a live session; 0 when it has expired or was deleted meanwhile.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    data: &SessionData,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::expires_at.gt(now)),
    )
    .set(data)
    .execute(conn)
}

/// Pushes back the expiry of a session seen at `now`.
pub fn touch(
    conn: &mut DbConn,
    id: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::expires_at.eq(expires_at),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

/// Ends the user's half-signed-in sessions (at every sign-out).
pub fn delete_pending(conn: &mut DbConn, user_id: i32) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::pending_until.is_not_null()),
    )
    .execute(conn)
}

/// Ends every session of a user (half-signed-in ones too), e.g. after a password change.
pub fn delete_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

/// One of a user's live sessions, as the account page lists it.
#[derive(Queryable, Debug)]
pub struct SessionSummary {
    pub handle: Option<String>,
    pub device: Option<String>,
    pub client_addr: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: Option<NaiveDateTime>,
    /// Set while the session waits for the second factor.
    pub pending_until: Option<NaiveDateTime>,
}

/// The user's live sessions, most recently seen first.
pub fn of_user(
    conn: &mut DbConn,
    user_id: i32,
    now: NaiveDateTime,
    created_after: NaiveDateTime,
) -> QueryResult<Vec<SessionSummary>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::created_at.gt(created_after))
        .filter(
            sessions::pending_until
                .is_null()
                .or(sessions::pending_until.gt(now)),
        )
        .order((sessions::last_seen_at.desc(), sessions::created_at.desc()))
        .select((
            sessions::handle,
            sessions::device,
            sessions::client_addr,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::pending_until,
        ))
        .load(conn)
}

/// Ends the user's session `handle`; 0 when there is none (or it is someone else's).
pub fn delete_by_handle(conn: &mut DbConn, user_id: i32, handle: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::handle.eq(handle)),
    )
    .execute(conn)
}

/// Ends every session of the user but the one `keep` (half-signed-in ones too).
pub fn delete_others(conn: &mut DbConn, user_id: i32, keep: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::handle.ne(keep).or(sessions::handle.is_null())),
    )
    .execute(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    sessions::table.count().get_result(conn)
}

/// Ends every session (the cookie key was rotated).
pub fn delete_all(conn: &mut DbConn) -> QueryResult<usize> {
    diesel::delete(sessions::table).execute(conn)
}

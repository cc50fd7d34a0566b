use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::sessions;

/// `id` is the SHA-256 digest of the cookie's session key, never the key itself.
pub fn load(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    created_after: NaiveDateTime,
) -> QueryResult<Option<String>> {
    sessions::table
        .find(id)
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::created_at.gt(created_after))
        .select(sessions::state)
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

pub fn touch(conn: &mut DbConn, id: &str, expires_at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set(sessions::expires_at.eq(expires_at))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

/// Ends every session of a user, e.g. after a password change.
pub fn delete_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

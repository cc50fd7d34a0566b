//! "Forgot your password?" links, kept as SHA-256 digests of their secrets.
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::password_resets;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub id: i32,
    /// `None` for a request about an address that has no account: such a link works for nobody.
    pub user_id: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub replaced_at: Option<NaiveDateTime>,
}

/// Ends the links of `user_id` (`None`: of no one, which does the same work) still open, as a
/// newer one is sent.
pub fn replace_open(
    conn: &mut DbConn,
    user_id: Option<i32>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user_id))
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::replaced_at.is_null()),
    )
    .set(password_resets::replaced_at.eq(Some(at)))
    .execute(conn)
}

pub fn insert(
    conn: &mut DbConn,
    user_id: Option<i32>,
    digest: &str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::user_id.eq(user_id),
            password_resets::digest.eq(digest),
            password_resets::created_at.eq(created_at),
            password_resets::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_digest(conn: &mut DbConn, digest: &str) -> QueryResult<Option<PasswordReset>> {
    password_resets::table
        .filter(password_resets::digest.eq(digest))
        .select(PasswordReset::as_select())
        .first(conn)
        .optional()
}

/// Uses link `id` up, unless it was used, replaced or expired meanwhile: 0 then, so of two
/// concurrent uses one succeeds.
pub fn use_up(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .find(id)
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::replaced_at.is_null())
            .filter(password_resets::expires_at.gt(now)),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .execute(conn)
}

/// Forgets links that expired before `before`.
pub fn delete_expired_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(password_resets::table.filter(password_resets::expires_at.lt(before)))
        .execute(conn)
}

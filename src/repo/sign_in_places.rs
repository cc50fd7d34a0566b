//! Where each account has signed in from (`domain::throttle::place`): the places a stranger's
//! guesses cannot lock the owner out of.
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use crate::db::DbConn;
use crate::db::schema::sign_in_places;

/// Whether `user_id` signed in from `place` since `since`.
pub fn is_known(
    conn: &mut DbConn,
    user_id: i32,
    place: &str,
    since: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sign_in_places::table
            .find((user_id, place))
            .filter(sign_in_places::last_signed_in_at.gt(since)),
    ))
    .get_result(conn)
}

/// Notes that `user_id` signed in from `place` at `at`.
pub fn remember(
    conn: &mut DbConn,
    user_id: i32,
    place: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    // No ON CONFLICT through MultiConnection: update, else insert (in a savepoint, so that
    // PostgreSQL's transaction survives a refusal); a concurrent insert of the same place means
    // it is known already.
    let updated = diesel::update(sign_in_places::table.find((user_id, place)))
        .set(sign_in_places::last_signed_in_at.eq(at))
        .execute(conn)?;
    if updated == 1 {
        return Ok(());
    }
    let inserted = conn.write_transaction(|conn| {
        diesel::insert_into(sign_in_places::table)
            .values((
                sign_in_places::user_id.eq(user_id),
                sign_in_places::place.eq(place),
                sign_in_places::last_signed_in_at.eq(at),
            ))
            .execute(conn)
    });
    match inserted {
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Forgets places not signed in from since `before`.
pub fn delete_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sign_in_places::table.filter(sign_in_places::last_signed_in_at.lt(before)))
        .execute(conn)
}

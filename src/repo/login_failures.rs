use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::login_failures;

pub fn record(conn: &mut DbConn, key: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::throttle_key.eq(key),
            login_failures::failed_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Failures for `key` since `since`, and the oldest of them (which decides when the lock lifts).
pub fn count_since(
    conn: &mut DbConn,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let recent = login_failures::table
        .filter(login_failures::throttle_key.eq(key))
        .filter(login_failures::failed_at.gt(since));
    let count = recent.count().get_result(conn)?;
    let oldest = recent
        .select(diesel::dsl::min(login_failures::failed_at))
        .first(conn)?;
    Ok((count, oldest))
}

pub fn clear(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::throttle_key.eq(key)))
        .execute(conn)
        .map(|_| ())
}

/// Forgets failures older than the throttle window: they no longer count.
pub fn delete_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)
}

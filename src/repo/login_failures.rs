//! Failed guesses (passwords, second-factor codes), one row per failure per throttle key
//! (`domain::throttle` names the keys).
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::login_failures;

/// Serialises throttling decisions until the end of the current transaction, on every instance:
/// PostgreSQL takes a transaction-scoped advisory lock; SQLite takes its write lock at once (a
/// write that changes nothing), so that counting and recording that follow see every failure
/// committed before them and none can slip in between.
pub fn lock(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Postgres(pg) => pg.batch_execute("SELECT pg_advisory_xact_lock(7355609)"),
        DbConn::Sqlite(sqlite) => sqlite.batch_execute("DELETE FROM login_failures WHERE 0 = 1"),
    }
}

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

/// Takes back one failure recorded for `key` at `at` (a guess that turned out right); the rows
/// of one key and time are alike, so any one of them will do.
pub fn remove_one(conn: &mut DbConn, key: &str, at: NaiveDateTime) -> QueryResult<usize> {
    let id: Option<i32> = login_failures::table
        .filter(login_failures::throttle_key.eq(key))
        .filter(login_failures::failed_at.eq(at))
        .select(login_failures::id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => diesel::delete(login_failures::table.find(id)).execute(conn),
        None => Ok(0),
    }
}

pub fn clear(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::throttle_key.eq(key)))
        .execute(conn)
        .map(|_| ())
}

/// A LIKE pattern for keys starting with `prefix` (`%`, `_` and `\` in it match only
/// themselves; `\` escapes).
fn starting_with(prefix: &str) -> String {
    format!("{}%", super::escape_like(prefix))
}

/// Clears every key that starts with `prefix`.
pub fn clear_starting_with(conn: &mut DbConn, prefix: &str) -> QueryResult<usize> {
    diesel::delete(
        login_failures::table.filter(
            login_failures::throttle_key
                .like(starting_with(prefix))
                .escape('\\'),
        ),
    )
    .execute(conn)
}

/// The most failures since `since` under any one key starting with `prefix` (0 without any).
pub fn most_starting_with(
    conn: &mut DbConn,
    prefix: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    let counts: Vec<i64> = login_failures::table
        .filter(
            login_failures::throttle_key
                .like(starting_with(prefix))
                .escape('\\'),
        )
        .filter(login_failures::failed_at.gt(since))
        .group_by(login_failures::throttle_key)
        .select(diesel::dsl::count_star())
        .load(conn)?;
    Ok(counts.into_iter().max().unwrap_or(0))
}

/// Forgets failures older than the throttle window: they no longer count.
pub fn delete_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)
}

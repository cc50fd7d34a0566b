use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::rate_limits;

/// Counts one hit in `bucket`'s window and returns the window's total so far. Increments in the
/// database, so concurrent requests on several instances all count.
pub fn hit(conn: &mut DbConn, bucket: &str, window_start: NaiveDateTime) -> QueryResult<i32> {
    let row = rate_limits::table
        .filter(rate_limits::bucket.eq(bucket))
        .filter(rate_limits::window_start.eq(window_start));
    // No ON CONFLICT through MultiConnection: update first; if the window has no row yet,
    // insert it; if another request inserted it meanwhile, the unique key refuses ours and the
    // update, retried once, counts us.
    for _ in 0..2 {
        let updated = diesel::update(row)
            .set(rate_limits::hits.eq(rate_limits::hits + 1))
            .execute(conn)?;
        if updated == 0 {
            let inserted = diesel::insert_into(rate_limits::table)
                .values((
                    rate_limits::bucket.eq(bucket),
                    rate_limits::window_start.eq(window_start),
                    rate_limits::hits.eq(1),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => return Ok(1),
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => continue,
                Err(e) => return Err(e),
            }
        }
        return row.select(rate_limits::hits).first(conn);
    }
    row.select(rate_limits::hits).first(conn)
}

/// Forgets `bucket`'s windows that started before `before`.
pub fn prune(conn: &mut DbConn, bucket: &str, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        rate_limits::table
            .filter(rate_limits::bucket.eq(bucket))
            .filter(rate_limits::window_start.lt(before)),
    )
    .execute(conn)
}

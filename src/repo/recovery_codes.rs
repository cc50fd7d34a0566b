use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::recovery_codes;

/// Replaces the user's recovery codes with `digests`.
pub fn replace(conn: &mut DbConn, user_id: i32, digests: &[String]) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    // One row at a time: MultiConnection cannot carry a multi-row INSERT.
    for digest in digests {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_digest.eq(digest),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Marks the user's unused code with `digest` as used; 1 if there was one.
pub fn use_code(
    conn: &mut DbConn,
    user_id: i32,
    digest: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_digest.eq(digest))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(at))
    .execute(conn)
}

pub fn unused(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

pub fn delete_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)
}

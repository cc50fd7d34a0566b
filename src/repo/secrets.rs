use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::app_secrets;

/// Returns the stored secret `name`, storing `candidate` first if there is none. Every instance
/// sharing the database thereby agrees on one value, even when they start together.
pub fn get_or_create(conn: &mut DbConn, name: &str, candidate: &str) -> QueryResult<String> {
    if let Some(value) = find(conn, name)? {
        return Ok(value);
    }
    let inserted = diesel::insert_into(app_secrets::table)
        .values((app_secrets::name.eq(name), app_secrets::value.eq(candidate)))
        .execute(conn);
    match inserted {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => find(conn, name)?.ok_or(diesel::result::Error::NotFound),
        Err(e) => Err(e),
    }
}

fn find(conn: &mut DbConn, name: &str) -> QueryResult<Option<String>> {
    app_secrets::table
        .find(name)
        .select(app_secrets::value)
        .first(conn)
        .optional()
}

/// Replaces the stored secret `name` (key rotation).
pub fn replace(conn: &mut DbConn, name: &str, value: &str) -> QueryResult<()> {
    diesel::delete(app_secrets::table.find(name)).execute(conn)?;
    diesel::insert_into(app_secrets::table)
        .values((app_secrets::name.eq(name), app_secrets::value.eq(value)))
        .execute(conn)?;
    Ok(())
}

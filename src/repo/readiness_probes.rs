use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::readiness_probes;

/// Writes the probe row, which the migration created (one for all instances).
pub fn touch(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<()> {
    let updated = diesel::update(readiness_probes::table.find(1))
        .set(readiness_probes::checked_at.eq(at))
        .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    Ok(())
}

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::readiness_probes;

/// Writes the probe row (one for all instances), creating it the first time.
pub fn touch(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<()> {
    let updated = diesel::update(readiness_probes::table.find(1))
        .set(readiness_probes::checked_at.eq(at))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(readiness_probes::table)
            .values((
                readiness_probes::id.eq(1),
                readiness_probes::checked_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

//! Whether this instance can do its work: the database takes a write (a read alone succeeds on
//! a read-only or full SQLite file), and it has every migration this release knows.
use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::repo::readiness_probes;

#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The database lacks migrations of this release (restored from an older backup, say).
    MigrationsPending,
}

pub fn check(conn: &mut DbConn, now: NaiveDateTime) -> Result<Readiness, AppError> {
    conn.write_transaction(|conn| readiness_probes::touch(conn, now))?;
    if db::migrations_pending(conn)? {
        return Ok(Readiness::MigrationsPending);
    }
    Ok(Readiness::Ready)
}

//! Each test's own database: a temp SQLite file, or a fresh PostgreSQL database on the server
//! named by `PULSE_TEST_POSTGRES`, dropped again when the test ends.
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tempfile::TempDir;

/// Set to a server URL without a database (e.g. `postgres://postgres@127.0.0.1:5432`) to run every
/// test against PostgreSQL instead of SQLite.
pub const POSTGRES_ENV: &str = "PULSE_TEST_POSTGRES";

/// The PostgreSQL server URL from `PULSE_TEST_POSTGRES`, reduced to `scheme://user@host:port`.
pub fn postgres_server() -> Option<String> {
    let raw = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())?;
    let raw = raw.trim().trim_end_matches('/');
    let after_scheme = raw.find("://").map_or(0, |i| i + 3);
    // Drop any database name the variable carries: every test gets its own database.
    Some(match raw[after_scheme..].find('/') {
        Some(slash) => raw[..after_scheme + slash].to_owned(),
        None => raw.to_owned(),
    })
}

/// What a PostgreSQL-only test says on SQLite, where it is listed as ignored (never counted as
/// passed): `cargo test` shows it; the PostgreSQL run includes it (README: "PostgreSQL").
pub const POSTGRES_ONLY: &str =
    "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`";

/// The server of a PostgreSQL-only test; without one the test fails, saying why.
#[track_caller]
pub fn postgres_required() -> String {
    postgres_server().unwrap_or_else(|| panic!("{POSTGRES_ONLY} ({POSTGRES_ENV} is unset)"))
}

/// Skips a test this machine lacks a tool or a right for, saying why; CI installs every tool and
/// runs as root, so there a skip is a failure instead.
#[track_caller]
pub fn skip_outside_ci(test: &str, why: &str) {
    assert!(
        std::env::var("CI").is_err(),
        "{test} must run in CI, which has all it needs: {why}"
    );
    say(&format!("SKIPPED {test}: {why}"));
}

/// Writes to the real stderr, past libtest's output capture, so `cargo test` shows it.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A test's own database: a temp SQLite file, or a freshly created PostgreSQL database that is
/// dropped again when the test ends.
pub enum TestDatabase {
    Sqlite { url: String, _dir: TempDir },
    Postgres(PgTestDatabase),
}

impl TestDatabase {
    /// PostgreSQL when `PULSE_TEST_POSTGRES` is set, SQLite otherwise.
    pub fn fresh() -> Self {
        match postgres_server() {
            Some(server) => Self::Postgres(PgTestDatabase::create(&server)),
            None => Self::sqlite(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("pulse.db").display().to_string();
        Self::Sqlite { url, _dir: dir }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } => url,
            Self::Postgres(db) => &db.url,
        }
    }
}

pub struct PgTestDatabase {
    pub url: String,
    server: String,
    name: String,
}

impl PgTestDatabase {
    pub fn create(server: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        // Unique across tests in this process and across concurrent test processes.
        let name = format!(
            "pulse_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin_connection(server)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} on {server}: {e}"));
        Self {
            url: format!("{server}/{name}"),
            server: server.to_owned(),
            name,
        }
    }
}

impl PgTestDatabase {
    /// Takes the database away as a restart does (every connection cut, new ones refused), or
    /// brings it back.
    pub fn set_available(&self, available: bool) {
        let mut admin = admin_connection(&self.server);
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {} ALLOW_CONNECTIONS {available}",
                self.name
            ))
            .expect("allow or refuse connections");
        if !available {
            admin
                .batch_execute(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{}' AND pid <> pg_backend_pid()",
                    self.name
                ))
                .expect("terminate connections");
        }
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        // FORCE ends the connections the test's server still holds; a failure here only leaves a
        // stray database behind, so it must not turn a passing test into a failing one.
        let dropped = try_admin_connection(&self.server).map(|mut c| {
            c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
        });
        if !matches!(dropped, Some(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

fn try_admin_connection(server: &str) -> Option<PgConnection> {
    // Before the test binary's first PostgreSQL connection, as `Database::connect` does.
    pulse::db::openssl::skip_cleanup_at_exit();
    // `postgres` exists on most servers; `test` is the fallback some setups provide instead.
    ["postgres", "test"]
        .iter()
        .find_map(|db| PgConnection::establish(&format!("{server}/{db}")).ok())
}

fn admin_connection(server: &str) -> PgConnection {
    try_admin_connection(server)
        .unwrap_or_else(|| panic!("{POSTGRES_ENV}={server}: cannot connect to the server"))
}

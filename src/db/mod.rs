//! Persistence plumbing: one connection type for SQLite and PostgreSQL, a pool, embedded
//! migrations per backend, and the one way to run diesel off the async workers.
pub mod openssl;
pub mod schema;

use std::sync::Arc;

use actix_web::web;
use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::Semaphore;

use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Where the data lives, decided by the shape of `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Self {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Self::Postgres(raw.to_owned())
        } else {
            let path = raw.strip_prefix("sqlite://").unwrap_or(raw);
            Self::Sqlite(path.to_owned())
        }
    }
}

/// Establishes the backend the URL names, never guessing: a PostgreSQL URL whose server is down
/// must fail, not silently become a SQLite file.
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => Ok(DbConn::Postgres(PgConnection::establish(url)?)),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // The busy timeout makes concurrent writers wait their turn instead of failing
                // with "database is locked" (`Database::connect` has set the file to WAL).
                // secure_delete overwrites deleted content (a cleared reveal ciphertext) with
                // zeros instead of leaving it in free space.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// How long a request waits for a database connection before it is told the database is
/// unavailable (503): long enough to ride out a burst, short enough that an outage is reported
/// rather than hung on.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

#[derive(Clone)]
pub struct Database {
    pool: Pool,
    url: DatabaseUrl,
    /// One permit per pooled connection: work waits for a connection here, asynchronously,
    /// rather than as a blocked thread inside the pool, so a burst of requests does not wake
    /// (and switch between) a blocking thread per request.
    connections: Arc<Semaphore>,
}

impl Database {
    pub fn connect(raw_url: &str) -> anyhow::Result<Self> {
        let url = DatabaseUrl::parse(raw_url);
        let max_size = match url {
            DatabaseUrl::Sqlite(_) => 8,
            DatabaseUrl::Postgres(_) => 10,
        };
        if let DatabaseUrl::Postgres(_) = &url {
            openssl::skip_cleanup_at_exit();
        }
        if let DatabaseUrl::Sqlite(path) = &url {
            owner_only(path)?;
            // WAL lets readers proceed during a write. The mode is kept in the file, and
            // switching takes an exclusive lock that the pool's connections, opening together,
            // would race for, so one connection sets it before the pool opens any.
            SqliteConnection::establish(path)?
                .batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            .connection_timeout(POOL_WAIT)
            // A SQLite file does not drop connections; a PostgreSQL server may restart, so its
            // connections are checked (a round trip) before each use.
            .test_on_check_out(matches!(url, DatabaseUrl::Postgres(_)))
            .build(ConnectionManager { url: url.clone() })?;
        Ok(Self {
            pool,
            url,
            connections: Arc::new(Semaphore::new(max_size as usize)),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn conn(&self) -> Result<PooledConn, r2d2::Error> {
        self.pool.get()
    }

    pub fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.conn().context("connecting to migrate")?;
        let applied: Vec<String> = match &mut *conn {
            DbConn::Sqlite(c) => applied_versions(c.run_pending_migrations(SQLITE_MIGRATIONS))?,
            DbConn::Postgres(c) => {
                // Several instances may start at once; only one may migrate at a time.
                c.batch_execute("SELECT pg_advisory_lock(7355608)")?;
                let result = applied_versions(c.run_pending_migrations(POSTGRES_MIGRATIONS));
                c.batch_execute("SELECT pg_advisory_unlock(7355608)")?;
                result?
            }
        };
        for migration in applied {
            tracing::info!(%migration, "applied migration");
        }
        Ok(())
    }

    /// Runs `work` with a pooled connection on actix's blocking thread pool, so that diesel's
    /// synchronous calls never stall the async workers. No connection to be had (the database
    /// is down, or every connection stayed busy) is `AppError::Unavailable`; a worker failure
    /// `AppError::Internal`; both keep their cause.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        // Waiting for a connection is asynchronous (a permit per pooled connection), and bounded
        // like the pool's own wait: an outage is reported, not queued behind.
        let permit = tokio::time::timeout(POOL_WAIT, self.connections.clone().acquire_owned())
            .await
            .map_err(|e| AppError::Unavailable(anyhow::Error::new(e).context("database pool")))?
            .context("database connection permits")?;
        let pool = self.pool.clone();
        web::block(move || {
            let _permit = permit;
            let mut conn = pool.get().map_err(|e| {
                AppError::Unavailable(anyhow::Error::new(e).context("database pool"))
            })?;
            work(&mut conn)
        })
        .await
        .context("blocking worker pool")?
    }
}

/// Creates the SQLite file readable and writable by its owner only (SQLite gives the `-wal` and
/// `-shm` files it makes beside it the same mode), and narrows the mode of existing files: they
/// hold password hashes and the session-signing key.
fn owner_only(path: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if path.starts_with(':') || path.starts_with("file:") {
            return Ok(());
        }
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(e).with_context(|| format!("creating the database file {path}"));
            }
            _ => {}
        }
        for file in [
            path.to_owned(),
            format!("{path}-wal"),
            format!("{path}-shm"),
        ] {
            if let Ok(meta) = std::fs::metadata(&file)
                && meta.permissions().mode() & 0o077 != 0
            {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("making {file} readable by its owner only"))?;
            }
        }
    }
    Ok(())
}

/// Copies SQLite's write-ahead log into the database file and empties the log, so that content
/// just overwritten (with `secure_delete`) leaves no older copy in the log. Nothing to do on
/// PostgreSQL.
pub fn checkpoint(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(sqlite) => sqlite.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)"),
        DbConn::Postgres(_) => Ok(()),
    }
}

type MigrationResult<'a> = diesel::migration::Result<Vec<diesel::migration::MigrationVersion<'a>>>;

fn applied_versions(result: MigrationResult) -> anyhow::Result<Vec<String>> {
    result
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(anyhow::Error::from_boxed)
        .context("migration failed")
}

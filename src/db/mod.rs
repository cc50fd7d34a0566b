//! Persistence plumbing: one connection type for SQLite and PostgreSQL, a pool, embedded
//! migrations per backend, and the one way to run diesel off the async workers.
pub mod backup;
pub mod openssl;
pub mod schema;
pub mod sqlite_file;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

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

impl DbConn {
    /// The transaction every change goes through. On SQLite it takes the write lock first
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes cannot wait for
    /// the lock (another writer may have committed since its read) and fails with "database is
    /// locked" at once, whereas waiting for the lock up front honours the busy timeout, so
    /// concurrent writers queue. PostgreSQL's row locks need no such thing. Nested calls become
    /// savepoints, as with `transaction`.
    pub fn write_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let DbConn::Sqlite(sqlite) = self else {
            return self.transaction(work);
        };
        let depth =
            AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?;
        if depth.is_some() {
            return self.transaction(work);
        }
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        match work(self) {
            Ok(value) => {
                <DbConn as Connection>::TransactionManager::commit_transaction(self)?;
                Ok(value)
            }
            Err(e) => {
                <DbConn as Connection>::TransactionManager::rollback_transaction(self)?;
                Err(e)
            }
        }
    }

    /// Makes transactions that call this with the same (`class`, `key`) take turns until the
    /// current one ends, on every instance, so that what one reads to decide what to write sees
    /// the others' writes. PostgreSQL: a transaction-scoped advisory lock; SQLite: nothing,
    /// since `write_transaction` holds the database's one write lock already.
    pub fn take_turns(&mut self, class: i32, key: i32) -> QueryResult<()> {
        if let DbConn::Postgres(pg) = self {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind::<diesel::sql_types::Integer, _>(class)
                .bind::<diesel::sql_types::Integer, _>(key)
                .execute(pg)?;
        }
        Ok(())
    }
}

/// Where the data lives, decided by the shape of `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    /// The URL as it may be shown in a message: a PostgreSQL password is replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => path.clone(),
            Self::Postgres(url) => {
                let scheme_end = url.find("://").map_or(0, |i| i + 3);
                match (url[scheme_end..].find('@'), url[scheme_end..].find(':')) {
                    (Some(at), Some(colon)) if colon < at => format!(
                        "{}***{}",
                        &url[..scheme_end + colon + 1],
                        &url[scheme_end + at..]
                    ),
                    _ => url.clone(),
                }
            }
        }
    }

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

/// The pool reports every failed attempt to connect, and retries many times a second while the
/// database is away: log the first failure, then at most one a minute, with how many were
/// left out.
#[derive(Debug, Default)]
struct QuietErrors {
    last: std::sync::Mutex<Option<(Instant, u64)>>,
}

impl r2d2::HandleError<diesel::ConnectionError> for QuietErrors {
    fn handle_error(&self, error: diesel::ConnectionError) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *last {
            Some((at, left_out)) if at.elapsed() < std::time::Duration::from_secs(60) => {
                *left_out += 1;
            }
            _ => {
                let left_out = last.map_or(0, |(_, n)| n);
                tracing::warn!(%error, left_out, "cannot connect to the database");
                *last = Some((Instant::now(), 0));
            }
        }
    }
}

/// How long a request waits for a database connection before it is told the database is
/// unavailable (503): long enough to ride out a burst, short enough that an outage is reported
/// rather than hung on.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// How work waited for a connection, for the metrics.
#[derive(Debug, Default)]
pub struct PoolWaits {
    /// Work that found every connection busy and queued.
    pub queued: AtomicU64,
    /// Time spent queued, in microseconds.
    pub queued_micros: AtomicU64,
    /// Work that gave up after `POOL_WAIT` (answered 503).
    pub timed_out: AtomicU64,
}

/// Connections in the pool now, for the metrics.
pub struct PoolUse {
    pub max: u32,
    pub open: u32,
    pub idle: u32,
}

#[derive(Clone)]
pub struct Database {
    pool: Pool,
    url: DatabaseUrl,
    waits: Arc<PoolWaits>,
    /// One permit per pooled connection: work waits for a connection here, asynchronously,
    /// rather than as a blocked thread inside the pool, so a burst of requests does not wake
    /// (and switch between) a blocking thread per request.
    connections: Arc<Semaphore>,
}

impl Database {
    /// The database `raw_url` names, with the backend's default pool size.
    pub fn connect(raw_url: &str) -> anyhow::Result<Self> {
        Self::open(raw_url, None)
    }

    /// The database `raw_url` names, with `pool_size` connections (`PULSE_DB_POOL_SIZE`), or
    /// the backend's default. One connection is made first, so that a wrong URL, a server that
    /// is down or a file that cannot be opened is one error naming it.
    pub fn open(raw_url: &str, pool_size: Option<u32>) -> anyhow::Result<Self> {
        let url = DatabaseUrl::parse(raw_url);
        let max_size = pool_size.unwrap_or(match url {
            DatabaseUrl::Sqlite(_) => 8,
            DatabaseUrl::Postgres(_) => 10,
        });
        match &url {
            DatabaseUrl::Postgres(raw) => {
                openssl::skip_cleanup_at_exit();
                PgConnection::establish(raw).with_context(|| {
                    format!(
                        "cannot connect to PostgreSQL at {} (DATABASE_URL)",
                        url.redacted()
                    )
                })?;
            }
            DatabaseUrl::Sqlite(path) => {
                owner_only(path)?;
                // WAL lets readers proceed during a write. The mode is kept in the file, and
                // switching takes an exclusive lock that the pool's connections, opening
                // together, would race for, so one connection sets it before the pool opens any.
                SqliteConnection::establish(path)
                    .map_err(anyhow::Error::from)
                    .and_then(|mut conn| {
                        Ok(conn.batch_execute(
                            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;",
                        )?)
                    })
                    .with_context(|| {
                        format!("cannot open the SQLite database {path} (DATABASE_URL)")
                    })?;
            }
        }
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            .connection_timeout(POOL_WAIT)
            .error_handler(Box::new(QuietErrors::default()))
            // A SQLite file does not drop connections; a PostgreSQL server may restart, so its
            // connections are checked (a round trip) before each use.
            .test_on_check_out(matches!(url, DatabaseUrl::Postgres(_)))
            .build(ConnectionManager { url: url.clone() })
            .with_context(|| format!("opening connections to {}", url.redacted()))?;
        Ok(Self {
            pool,
            url,
            waits: Arc::default(),
            connections: Arc::new(Semaphore::new(max_size as usize)),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn conn(&self) -> Result<PooledConn, r2d2::Error> {
        self.pool.get()
    }

    /// How work has waited for connections so far.
    pub fn waits(&self) -> &PoolWaits {
        &self.waits
    }

    /// The pool's connections now.
    pub fn pool_use(&self) -> PoolUse {
        let state = self.pool.state();
        PoolUse {
            max: self.pool.max_size(),
            open: state.connections,
            idle: state.idle_connections,
        }
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
        let permit = match self.connections.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => self.wait_for_connection().await?,
        };
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

    /// Queues for a connection when all are busy, counting the wait for the metrics.
    async fn wait_for_connection(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        let started = Instant::now();
        let waited =
            tokio::time::timeout(POOL_WAIT, self.connections.clone().acquire_owned()).await;
        self.waits.queued.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.waits
            .queued_micros
            .fetch_add(micros, Ordering::Relaxed);
        let permit = waited.map_err(|e| {
            self.waits.timed_out.fetch_add(1, Ordering::Relaxed);
            AppError::Unavailable(anyhow::Error::new(e).context("database pool"))
        })?;
        Ok(permit.context("database connection permits")?)
    }
}

/// Whether this release has migrations the database lacks.
pub fn migrations_pending(conn: &mut DbConn) -> Result<bool, AppError> {
    let pending = match conn {
        DbConn::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        DbConn::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    };
    pending
        .map_err(|e| AppError::Internal(anyhow::Error::from_boxed(e).context("reading migrations")))
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

//! `pulse backup` and `pulse restore` for a SQLite database (README, "Backups"). A copy of the
//! file alone is not a backup: with WAL, recent commits live in `<database>-wal` until a
//! checkpoint, and a copy taken during a write may be torn. `VACUUM INTO` writes a consistent
//! snapshot through SQLite itself, while the server goes on reading and writing. The reveal
//! key file goes with it: values sealed with the key are lost without it.
use std::path::Path;

use anyhow::{Context, bail, ensure};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

use crate::db::sqlite_file::InstanceLock;

fn key_file(database: &str) -> String {
    format!("{database}.reveal-key")
}

/// Creates `path` empty (replacing any file there), readable and writable by its owner only.
fn owner_only_file(path: &str) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("creating {path}"))?;
    Ok(())
}

/// Copies `from` to `to` (a new file, owner-only), and to disk.
fn copy_key(from: &str, to: &str) -> anyhow::Result<()> {
    let key = std::fs::read(from).with_context(|| format!("reading {from}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(to).with_context(|| format!("writing {to}"))?;
    std::io::Write::write_all(&mut file, &key)?;
    file.sync_all()?;
    Ok(())
}

fn quoted(path: &str) -> String {
    format!("'{}'", path.replace('\'', "''"))
}

/// What a backup wrote.
pub struct Backup {
    pub key_file: Option<String>,
}

/// Writes a consistent copy of the SQLite database `database` to `target` (which must not
/// exist), and its reveal key file beside it as `<target>.reveal-key`.
pub fn backup(database: &str, target: &str) -> anyhow::Result<Backup> {
    ensure!(
        Path::new(database).exists(),
        "the SQLite database {database} does not exist"
    );
    ensure!(
        !Path::new(target).exists(),
        "{target} exists already: choose a new file"
    );
    let partial = format!("{target}.partial");
    let _ = std::fs::remove_file(&partial);
    // Made empty and owner-only first (VACUUM INTO fills an empty file): it holds password
    // hashes and the session-signing key, as the database does.
    owner_only_file(&partial)?;
    let mut conn = SqliteConnection::establish(database)
        .with_context(|| format!("opening the SQLite database {database}"))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000;")?;
    conn.batch_execute(&format!("VACUUM INTO {}", quoted(&partial)))
        .with_context(|| format!("writing the backup {partial}"))?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, target).with_context(|| format!("naming the backup {target}"))?;
    let key = key_file(database);
    let key_file = if Path::new(&key).exists() {
        let copy = key_file(target);
        copy_key(&key, &copy)?;
        Some(copy)
    } else {
        None
    };
    Ok(Backup { key_file })
}

#[derive(diesel::QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

/// Puts the backup `source` (and its key file, if it has one) in place of the SQLite database
/// `database`. The server must be stopped; the database is checked first.
pub fn restore(source: &str, database: &str) -> anyhow::Result<Backup> {
    ensure!(Path::new(source).exists(), "there is no backup {source}");
    let mut conn = SqliteConnection::establish(source)
        .with_context(|| format!("opening the backup {source}"))?;
    let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    if checks.first().map(|c| c.integrity_check.as_str()) != Some("ok") {
        bail!("the backup {source} is damaged: SQLite's integrity check failed");
    }
    drop(conn);
    // No server may start on the file while it is replaced.
    let _lock = InstanceLock::acquire(database).context("stop pulse serve before restoring")?;
    let incoming = format!("{database}.restoring");
    owner_only_file(&incoming)?;
    std::io::copy(
        &mut std::fs::File::open(source).with_context(|| format!("reading {source}"))?,
        &mut std::fs::OpenOptions::new().write(true).open(&incoming)?,
    )
    .with_context(|| format!("copying {source}"))?;
    std::fs::File::open(&incoming)?.sync_all()?;
    // The old write-ahead log belongs to the old file: left beside the new one, SQLite would
    // apply it.
    for stale in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{database}{stale}"));
    }
    std::fs::rename(&incoming, database).with_context(|| format!("replacing {database}"))?;
    let key = key_file(source);
    let key_file = if Path::new(&key).exists() {
        copy_key(&key, &key_file(database))?;
        Some(key_file(database))
    } else {
        None
    };
    Ok(Backup { key_file })
}

//! Checks on a SQLite database file before anything opens it, so that an operator's mistake is
//! one clear error naming the path instead of an empty database or a server answering 503:
//! a missing directory, a missing file (a mistyped path), a file that cannot be written, and a
//! second `pulse serve` on a file another one serves.
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use anyhow::{Context, bail};

fn directory_of(path: &str) -> &Path {
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The directory must exist and the file, if there, be readable and writable by this process.
pub fn check(path: &str) -> anyhow::Result<()> {
    let dir = directory_of(path);
    if !dir.is_dir() {
        bail!(
            "the directory of the SQLite database {path} (DATABASE_URL) does not exist: {}. \
             Create it, or run `pulse migrate` (or `pulse serve --create`) to create it with the database",
            dir.display()
        );
    }
    if Path::new(path).exists() {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open the SQLite database {path} for writing"))?;
    }
    Ok(())
}

/// For a command that needs data already there: a missing file is a mistyped path, not a wish
/// for an empty database.
pub fn must_exist(path: &str) -> anyhow::Result<()> {
    check(path)?;
    if !Path::new(path).exists() {
        bail!(
            "the SQLite database {path} (DATABASE_URL) does not exist. Check the path, or create \
             it with `pulse migrate` (or `pulse serve --create`, `pulse serve --demo`)"
        );
    }
    Ok(())
}

/// Creates the directory the database goes in, for `pulse migrate` and `pulse serve --create`.
pub fn create_directory(path: &str) -> anyhow::Result<()> {
    let dir = directory_of(path);
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating {} for the SQLite database {path}", dir.display()))
}

fn lock_path(path: &str) -> String {
    format!("{path}.lock")
}

/// Held by the one process serving a SQLite file for as long as it serves: an advisory lock on
/// `<database>.lock` holding its process id. The operating system releases it when the process
/// ends however it ends, so a lock file left by a crash is simply taken over. Servers within
/// one process (the test harness's) share it.
#[derive(Debug)]
pub struct InstanceLock {
    _file: Arc<File>,
}

/// The locks this process holds, by lock file.
static HELD: Mutex<Vec<(String, Weak<File>)>> = Mutex::new(Vec::new());

impl InstanceLock {
    pub fn acquire(path: &str) -> anyhow::Result<Self> {
        let lock = lock_path(path);
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|(_, file)| file.strong_count() > 0);
        if let Some(file) = held
            .iter()
            .find(|(name, _)| *name == lock)
            .and_then(|(_, f)| f.upgrade())
        {
            return Ok(Self { _file: file });
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .with_context(|| {
                format!("cannot create the lock file {lock} of the SQLite database {path}")
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                bail!(
                    "another pulse serve (process {}) is already serving the SQLite database {path} \
                     (it holds {lock}); a SQLite database takes one instance: stop that one first, \
                     or use PostgreSQL for several",
                    holder.trim()
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {lock}"));
            }
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "{}", std::process::id())?;
        let file = Arc::new(file);
        held.push((lock, Arc::downgrade(&file)));
        Ok(Self { _file: file })
    }

    /// The process serving `path` right now, if any (for commands that must not run under a
    /// server, such as `pulse restore`).
    pub fn holder(path: &str) -> Option<String> {
        let lock = lock_path(path);
        let mut file = OpenOptions::new().read(true).write(true).open(lock).ok()?;
        match file.try_lock() {
            Ok(()) => None,
            Err(_) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                Some(holder.trim().to_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_per_file_and_the_lock_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pulse.db").display().to_string();
        let first = InstanceLock::acquire(&path).unwrap();
        let pid = std::process::id().to_string();
        assert_eq!(InstanceLock::holder(&path), Some(pid.clone()));
        let shared = InstanceLock::acquire(&path).expect("servers in one process share it");
        drop(first);
        assert_eq!(
            InstanceLock::holder(&path),
            Some(pid),
            "held while one is left"
        );
        drop(shared);
        assert_eq!(InstanceLock::holder(&path), None);
        InstanceLock::acquire(&path).expect("a released lock is taken over");
    }

    #[test]
    fn missing_directories_and_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("no/such/pulse.db").display().to_string();
        let error = check(&nested).unwrap_err().to_string();
        assert!(
            error.contains(&nested) && error.contains("does not exist"),
            "{error}"
        );
        create_directory(&nested).unwrap();
        check(&nested).unwrap();
        let error = must_exist(&nested).unwrap_err().to_string();
        assert!(
            error.contains(&nested) && error.contains("pulse migrate"),
            "{error}"
        );
    }
}

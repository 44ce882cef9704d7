//! Backups of a SQLite database, taken while servers keep serving and writing, and restores, which
//! wait for no server to be using the database. PostgreSQL has its own tools (`pg_dump`,
//! `pg_restore`); the README says how.
//!
//! A running server holds a shared lock on `<database>.server-lock` beside the database (see
//! [`ServerLock`]); a restore takes it exclusively, so it refuses while any server runs, and a
//! server refuses to start while a restore runs.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;

use super::{DatabaseUrl, DbConn, SQLITE_MIGRATIONS, connect};

const FOR_POSTGRES: &str = "this database is PostgreSQL: back it up with `pg_dump --format=custom` and restore it \
                            with `pg_restore` (see the README's operations section)";

/// The lock a server holds on its SQLite database while it runs.
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
}

impl ServerLock {
    /// Taken by each server on a SQLite database before it serves (shared: several processes may
    /// serve one file); `None` for PostgreSQL. Fails while a restore replaces the database.
    pub fn acquire(url: &DatabaseUrl) -> Result<Option<Self>, String> {
        let DatabaseUrl::Sqlite(path) = url else { return Ok(None) };
        let file = open_lock(path)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(format!("a restore is replacing the database {}: start the server when it is done", path.display()))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", lock_path(path).display())),
        }
    }
}

fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".server-lock");
    PathBuf::from(name)
}

fn open_lock(database: &Path) -> Result<File, String> {
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let path = lock_path(database);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub bytes: u64,
}

/// Copies the database to `target` as it was when the copy began (SQLite's `VACUUM INTO`: a read
/// transaction, so writers go on meanwhile), checks the copy's integrity, and only then gives it
/// its name. Never overwrites a file.
pub fn backup(url: &DatabaseUrl, target: &Path) -> Result<BackupReport, String> {
    let DatabaseUrl::Sqlite(path) = url else { return Err(FOR_POSTGRES.into()) };
    if !path.exists() {
        return Err(format!("there is no database at {}", path.display()));
    }
    if target.exists() {
        return Err(format!("{} exists: a backup never overwrites a file; choose a new name", target.display()));
    }
    let partial = sibling(target, "partial")?;
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let mut conn = connect(url).map_err(|e| e.to_string())?;
        let quoted = partial.to_str().ok_or("the backup's path must be UTF-8")?.replace('\'', "''");
        conn.batch_execute(&format!("VACUUM INTO '{quoted}'")).map_err(|e| format!("the backup failed: {e}"))?;
        drop(conn);
        check_integrity(&partial)?;
        File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| format!("cannot sync the backup: {e}"))?;
        // A hard link fails when the name exists: a file created meanwhile is not replaced.
        std::fs::hard_link(&partial, target).map_err(|e| format!("cannot create {}: {e}", target.display()))?;
        sync_folder(target);
        let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
        Ok(BackupReport { bytes })
    })();
    let _ = std::fs::remove_file(&partial);
    result
}

/// What a restore did.
#[derive(Debug)]
pub struct RestoreReport {
    /// Where the database that was replaced now is, if there was one.
    pub previous: Option<PathBuf>,
}

/// Puts the backup `source` in place of the database: copied beside it, checked (integrity, a
/// muni database no newer than this program, and `accept`, which migrates it and checks the data
/// key), then renamed over it while no server runs. The replaced database is kept beside it as
/// `<name>.before-restore-<time>`, with its write-ahead log.
pub fn restore(
    url: &DatabaseUrl,
    source: &Path,
    accept: impl FnOnce(&mut DbConn) -> Result<(), String>,
) -> Result<RestoreReport, String> {
    let DatabaseUrl::Sqlite(path) = url else { return Err(FOR_POSTGRES.into()) };
    if !source.is_file() {
        return Err(format!("there is no backup at {}", source.display()));
    }
    let lock = open_lock(path)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(format!(
                "a muni server is using the database {}: stop every server on it, then restore",
                path.display()
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(format!("cannot lock the database: {e}")),
    }
    let staged = sibling(path, "restoring")?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(&staged, suffix));
    }
    let result = (|| {
        std::fs::copy(source, &staged).map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
        // Named as the user gave it, not as the scratch copy.
        let as_given = |e: String| e.replace(&staged.display().to_string(), &source.display().to_string());
        check_integrity(&staged).map_err(as_given)?;
        check_migrations(&staged).map_err(as_given)?;
        {
            let mut conn = connect(&DatabaseUrl::Sqlite(staged.clone())).map_err(|e| e.to_string())?;
            accept(&mut conn)?;
            // Everything into the main file: the write-ahead log stays behind with the copy's name.
            conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)").map_err(|e| e.to_string())?;
        }
        File::open(&staged).and_then(|f| f.sync_all()).map_err(|e| format!("cannot sync the restored copy: {e}"))?;
        let previous = if path.exists() {
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
            let mut aside = path.as_os_str().to_owned();
            aside.push(format!(".before-restore-{stamp}"));
            let aside = PathBuf::from(aside);
            // The log holds commits not yet in the main file: it goes with it; the index is rebuilt.
            std::fs::rename(path, &aside).map_err(|e| format!("cannot move the current database aside: {e}"))?;
            if with_suffix(path, "-wal").exists() {
                std::fs::rename(with_suffix(path, "-wal"), with_suffix(&aside, "-wal"))
                    .map_err(|e| format!("cannot move the current write-ahead log aside: {e}"))?;
            }
            let _ = std::fs::remove_file(with_suffix(path, "-shm"));
            Some(aside)
        } else {
            None
        };
        std::fs::rename(&staged, path).map_err(|e| format!("cannot put the restored database in place: {e}"))?;
        sync_folder(path);
        Ok(RestoreReport { previous })
    })();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(&staged, suffix));
    }
    result
}

/// `PRAGMA integrity_check` on a database file, opened as it is (no setup, no migrations).
pub fn check_integrity(file: &Path) -> Result<(), String> {
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let mut conn = SqliteConnection::establish(&file.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .map_err(|e| format!("{} is not a readable SQLite database: {e}", file.display()))?;
    match rows.as_slice() {
        [only] if only.integrity_check == "ok" => Ok(()),
        problems => Err(format!(
            "{} fails its integrity check: {}",
            file.display(),
            problems.iter().take(5).map(|p| p.integrity_check.as_str()).collect::<Vec<_>>().join("; ")
        )),
    }
}

/// The file is a muni database made by this version or an earlier one (which the server migrates).
fn check_migrations(file: &Path) -> Result<(), String> {
    #[derive(QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let mut conn = SqliteConnection::establish(&file.to_string_lossy()).map_err(|e| e.to_string())?;
    let applied: Vec<Applied> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load(&mut conn)
        .map_err(|_| format!("{} is not a muni database", file.display()))?;
    let known: Vec<String> = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    if let Some(newer) = applied.iter().find(|a| !known.contains(&a.version)) {
        return Err(format!(
            "the backup was made by a newer muni (it has migration {}): restore it with that version",
            newer.version
        ));
    }
    Ok(())
}

/// `<folder>/.<name>.<what>-<pid>`: a scratch file beside `path`, on the same file system.
fn sibling(path: &Path, what: &str) -> Result<PathBuf, String> {
    let name = path.file_name().ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let scratch = format!(".{}.{what}-{}", name.to_string_lossy(), std::process::id());
    Ok(path.with_file_name(scratch))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes a rename in the folder durable.
fn sync_folder(path: &Path) {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = File::open(parent).and_then(|f| f.sync_all());
    }
}

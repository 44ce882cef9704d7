//! The database: one connection type over SQLite and PostgreSQL, chosen by the URL, with an r2d2
//! pool, per-connection setup, embedded migrations, and the helpers that run queries off the async
//! workers.

pub mod backup;
mod inline;
mod locks;
mod pool_stats;
pub mod schema;
mod sqlite_setup;
pub mod witness;

pub use inline::read;
pub use locks::{lock_name, lock_row, lock_row_by_key, lock_rows, try_lock_name};

pub use pool_stats::{PoolReading, PoolStats};

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One database connection, to whichever engine `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type Pool = r2d2::Pool<Manager>;

/// A pooled connection, and whether it proved broken (the server went away): then the pool drops
/// it instead of handing it out again. Checked after a failure only, not with a round trip before
/// every use.
pub struct Conn {
    conn: DbConn,
    broken: bool,
}

impl std::ops::Deref for Conn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl Conn {
    /// Asks the server whether the connection still works; a broken one is dropped by the pool
    /// when it is returned.
    fn check(&mut self) {
        if self.conn.batch_execute("SELECT 1").is_err() {
            self.broken = true;
        }
    }
}
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://...` or `postgresql://...`, passed to libpq as it is.
    Postgres(String),
    /// `sqlite://path`, `sqlite:path` or a plain path to the database file.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if path.is_empty() || path == ":memory:" {
            return Err(
                "DATABASE_URL must name a SQLite file (an in-memory database cannot be shared by the pool)".into()
            );
        }
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(format!("DATABASE_URL has an unsupported scheme `{scheme}`: use sqlite:// or postgres://"));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgresql",
            Self::Sqlite(_) => "sqlite",
        }
    }

    /// The URL with any password masked, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(start), Some(at)) if at > start => {
                    let userinfo = &url[start + 3..at];
                    let user = userinfo.split(':').next().unwrap_or("");
                    let masked = if userinfo.contains(':') { format!("{user}:***") } else { user.to_owned() };
                    format!("{}{masked}{}", &url[..start + 3], &url[at..])
                }
                _ => url.clone(),
            },
        }
    }
}

/// Why a connection could not be opened or set up; r2d2 keeps the last one, so a pool
/// time-out says what really went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("cannot set up the database connection: {0}")]
    Setup(#[from] diesel::result::Error),
    #[error("cannot create the folder for the SQLite database {0}: {1}")]
    Folder(PathBuf, std::io::Error),
}

/// Opens connections for the pool and sets each one up.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = ConnectError;

    fn connect(&self) -> Result<Conn, ConnectError> {
        connect(&self.url).map(|conn| Conn { conn, broken: false })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), ConnectError> {
        conn.conn.batch_execute("SELECT 1").map_err(ConnectError::Setup)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// A statement that runs past 15 s is cancelled (PostgreSQL): a pathological query must not hold a
/// pooled connection, and every request queued behind it, for minutes.
const STATEMENT_TIMEOUT: &str = "SET statement_timeout = '15s'";

/// Runs `f` with no statement time limit (work that may take minutes on a large database, such as a
/// migration that rewrites a table), then puts the limit back.
fn without_time_limit<T>(
    c: &mut diesel::PgConnection,
    f: impl FnOnce(&mut diesel::PgConnection) -> T,
) -> QueryResult<T> {
    c.batch_execute("SET statement_timeout = 0")?;
    let result = f(c);
    c.batch_execute(STATEMENT_TIMEOUT)?;
    Ok(result)
}

/// Opens one connection and applies the per-connection settings.
pub fn connect(url: &DatabaseUrl) -> Result<DbConn, ConnectError> {
    match url {
        DatabaseUrl::Postgres(url) => {
            let mut conn = diesel::PgConnection::establish(url)?;
            conn.batch_execute("SET TIME ZONE 'UTC'; SET application_name = 'muni'")?;
            conn.batch_execute(STATEMENT_TIMEOUT)?;
            Ok(DbConn::Postgres(conn))
        }
        DatabaseUrl::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| ConnectError::Folder(parent.to_owned(), e))?;
            }
            sqlite_setup::plan_statements_once();
            let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
            // WAL lets readers run beside the writer; FULL makes every commit durable on disk
            // before it is acknowledged; the busy timeout queues writers instead of failing them.
            // Reads go through a memory map of the file (up to 4 GB) instead of copying each page
            // into the connection's cache: the pages are the kernel's page cache, shared by every
            // connection and not the process's anonymous memory.
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA foreign_keys = ON; PRAGMA mmap_size = 4294967296;",
            )?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

/// The pool and what is needed to check that the database is still there.
#[derive(Clone)]
pub struct Database {
    pub pool: Pool,
    pub url: DatabaseUrl,
    /// The group-commit writer of [`run_write`], started on first use.
    writer: Arc<OnceLock<mpsc::Sender<Box<dyn BatchJob>>>>,
    /// Checkouts and waits, for the metrics.
    pub stats: Arc<PoolStats>,
}

impl Database {
    /// Builds the pool without connecting: the first checkout connects, and reports the real error.
    pub fn new(url: DatabaseUrl, max_size: u32) -> Self {
        let stats = Arc::new(PoolStats::default());
        let pool = r2d2::Pool::builder()
            .event_handler(Box::new(pool_stats::Counting(stats.clone())))
            .max_size(max_size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(5))
            // No round trip before every checkout: a connection is checked after a failure instead.
            .test_on_check_out(false)
            .build_unchecked(Manager::new(url.clone()));
        Self { pool, url, writer: Arc::default(), stats }
    }

    pub fn get(&self) -> Result<PooledConn, ApiError> {
        self.pool.get().map_err(|e| ApiError::Unavailable(e.to_string()))
    }

    /// Applies the embedded migrations that have not run yet.
    pub fn migrate(&self) -> Result<Vec<String>, String> {
        exclusive_setup(&self.url, run_migrations)
    }

    /// Whether the database answers and has every migration applied.
    pub fn check_ready(&self) -> Result<(), String> {
        if let DatabaseUrl::Sqlite(path) = &self.url
            && !path.exists()
        {
            return Err(format!("the SQLite database file {} is missing", path.display()));
        }
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        conn.check();
        if conn.broken {
            return Err("the database connection is broken".into());
        }
        let pending = match &mut **conn {
            DbConn::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
            DbConn::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| format!("cannot read the migrations table: {e}"))?;
        if pending {
            return Err("migrations are pending: run `muni migrate`".into());
        }
        Ok(())
    }
}

pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, String> {
    fn applied<V: std::fmt::Display>(result: diesel::migration::Result<Vec<V>>) -> Result<Vec<String>, String> {
        result
            .map(|versions| versions.iter().map(V::to_string).collect())
            .map_err(|e| format!("cannot apply migrations: {e}"))
    }
    match conn {
        DbConn::Sqlite(c) => applied(c.run_pending_migrations(SQLITE_MIGRATIONS)),
        // A migration may rewrite a large table: the requests' time limit is not for it.
        DbConn::Postgres(c) => without_time_limit(c, |c| applied(c.run_pending_migrations(POSTGRES_MIGRATIONS)))
            .map_err(|e| format!("cannot apply migrations: {e}"))?,
    }
}

/// Runs `f` (migrations, first data) while no other process does the same on this database: API
/// nodes that start together take turns, and the later ones find the work done. PostgreSQL holds
/// an advisory lock; SQLite a lock on the file `<database>.setup-lock` beside the database.
pub fn exclusive_setup<T>(url: &DatabaseUrl, f: impl FnOnce(&mut DbConn) -> Result<T, String>) -> Result<T, String> {
    const SETUP_LOCK: i64 = 0x6d75_6e69; // "muni"
    match url {
        DatabaseUrl::Postgres(_) => {
            let conn = &mut connect(url).map_err(|e| e.to_string())?;
            conn.batch_execute(&format!("SELECT pg_advisory_lock({SETUP_LOCK})")).map_err(|e| e.to_string())?;
            let result = f(conn);
            let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({SETUP_LOCK})"));
            result
        }
        DatabaseUrl::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    format!("cannot create the folder for the SQLite database {}: {e}", parent.display())
                })?;
            }
            let mut lock_path = path.clone().into_os_string();
            lock_path.push(".setup-lock");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| format!("cannot open {}: {e}", lock_path.to_string_lossy()))?;
            file.lock().map_err(|e| format!("cannot lock {}: {e}", lock_path.to_string_lossy()))?;
            // Connected only now: the first connection to a new file turns on WAL, which two
            // processes must not race to do.
            f(&mut connect(url).map_err(|e| e.to_string())?)
        }
    }
}

/// Readies a connection for a bulk load (the bench seed): on SQLite a page cache large
/// enough for the indexes being filled (the default 2 MB rereads their pages from the file on
/// every insert). Only this connection's process holds it.
pub fn prepare_bulk_load(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => c.batch_execute("PRAGMA cache_size = -262144"),
        DbConn::Postgres(_) => Ok(()),
    }
}

/// Refreshes the planner's statistics of the tables a bulk load filled, so that it picks the right
/// indexes (PostgreSQL's full-text index in particular) before autovacuum would get to them. Runs
/// outside any transaction.
///
/// Only those tables: on PostgreSQL, vacuuming an empty table records it as empty, and a
/// connection then plans (and keeps for its life) a full scan for, say, the foreign-key check of
/// every feedback's trail entry. The scans grow with the table: 1,800 submissions/s fell to 250.
pub fn analyze(conn: &mut DbConn, tables: &[&str]) -> diesel::QueryResult<()> {
    match conn {
        // VACUUM also marks the new pages all-visible, so that counts run on the index alone
        // (a category's total: 250 ms through the table after a bulk load, a few ms after).
        // It takes its time on a large database: no statement time limit while it runs.
        DbConn::Postgres(c) => {
            without_time_limit(c, |c| c.batch_execute(&format!("VACUUM ANALYZE {}", tables.join(", "))))?
        }
        DbConn::Sqlite(c) => tables.iter().try_for_each(|table| c.batch_execute(&format!("ANALYZE {table}"))),
    }
}

/// `query` (a table) filtered on `column` being one of `ids`, boxed: `=` when they are one id (a
/// page of articles shows one site and one category, an article has one id), a statement that
/// stays prepared, where diesel prepares every `IN (...)` list anew. (Binding the list as one
/// JSON array for `json_each` kept statements prepared too, but read an article slower.)
#[macro_export]
macro_rules! among {
    ($query:expr, $column:expr, $ids:expr) => {{
        let mut ids: Vec<i64> = $ids;
        ids.sort_unstable();
        ids.dedup();
        match ids.as_slice() {
            [one] => $query.filter($column.eq(*one)).into_boxed::<$crate::db::Db>(),
            _ => $query.filter($column.eq_any(ids)).into_boxed::<$crate::db::Db>(),
        }
    }};
}

/// The backend of a [`DbConn`] (one over both engines), for boxed queries.
pub type Db = <DbConn as diesel::Connection>::Backend;

/// The current time in UTC, to the microsecond: what both backends store, so that a time read back
/// equals the time written.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape character.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A LIKE pattern (escape character `\`) that matches text containing `word`.
pub fn like_contains(word: &str) -> String {
    format!("%{}%", escape_like(word))
}

/// Serialises write transactions on SQLite within this process: a deferred transaction that reads
/// and then writes fails at once with SQLITE_BUSY when another writer got in between, while one
/// that waits its turn here never does. PostgreSQL needs no such lock.
static SQLITE_WRITER: Mutex<()> = Mutex::new(());

/// Runs `f` in a write transaction. Call it once per unit of work, never nested. A request's
/// [`witness`] (the audit log) records it inside the same transaction.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let f = |conn: &mut DbConn| witness::watched(conn, f);
    let DbConn::Sqlite(_) = conn else { return conn.transaction(f) };
    let _turn = SQLITE_WRITER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // `BEGIN IMMEDIATE` takes the write lock before the first read: a deferred transaction that
    // read first cannot upgrade after another process's commit (SQLITE_BUSY at once), this one
    // waits its turn (busy_timeout). Within this process the mutex orders writers.
    fn sqlite(conn: &mut DbConn) -> &mut diesel::SqliteConnection {
        match conn {
            DbConn::Sqlite(c) => c,
            DbConn::Postgres(_) => unreachable!("checked above"),
        }
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite(conn), "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite(conn))?;
            Ok(value)
        }
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(sqlite(conn));
            Err(e)
        }
    }
}

/// Runs `f` in a savepoint, again (up to `attempts` times) while it fails on a unique value:
/// a generated slug or an upserted code that a concurrent writer took between our check and our
/// insert. Each attempt sees what the other committed, so it picks the next free value. The last
/// failure is returned as it is.
pub fn retry_unique<T, E, F>(conn: &mut DbConn, attempts: u32, mut f: F) -> Result<T, E>
where
    F: FnMut(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error> + IsUniqueViolation,
{
    let mut attempt = 1;
    loop {
        match conn.transaction(&mut f) {
            Err(e) if attempt < attempts && e.is_unique_violation() => attempt += 1,
            other => return other,
        }
    }
}

/// Whether an error is a unique violation, for [`retry_unique`].
pub trait IsUniqueViolation {
    fn is_unique_violation(&self) -> bool;
}

impl IsUniqueViolation for diesel::result::Error {
    fn is_unique_violation(&self) -> bool {
        matches!(self, Self::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
    }
}

impl IsUniqueViolation for ApiError {
    fn is_unique_violation(&self) -> bool {
        matches!(self, ApiError::NotUnique { .. })
    }
}

/// Runs blocking database work on the runtime's blocking thread pool (the server caps it at the
/// pool's size, see `startup`), with a pooled connection.
pub async fn run<T, F>(db: &Database, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let db = db.clone();
    let witness = witness::current();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get()?;
        let result = witness::on_thread(witness, || f(&mut conn));
        if matches!(result, Err(ApiError::Internal(_) | ApiError::Unavailable(_))) {
            conn.check();
        }
        result
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
}

/// Runs `f` as one write transaction, acknowledged only once it is durably committed.
///
/// Every commit waits for the disk (SQLite's WAL with `synchronous = FULL`, PostgreSQL's WAL flush,
/// measured as the bound: most waits were `WALWrite`/`WALSync`). So calls are queued to one writer
/// thread that runs whatever has queued up (each call in a savepoint of its own, so one that fails
/// takes nothing else with it) and commits them together: one flush for many submissions (group
/// commit). A failed commit fails every call in it; none is answered before.
pub async fn run_write<T, F>(db: &Database, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = Box::new(Pending { f: Some(f), result: None, reply });
    let queued = db.writer().send(job);
    if queued.is_err() {
        return Err(ApiError::Unavailable("the database writer has stopped".into()));
    }
    answer.await.map_err(|_| ApiError::Unavailable("the database writer has stopped".into()))?
}

/// Most calls in one group commit.
const MAX_GROUP: usize = 256;

impl Database {
    fn writer(&self) -> &mpsc::Sender<Box<dyn BatchJob>> {
        self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Box<dyn BatchJob>>();
            let pool = self.pool.clone();
            let spawned =
                std::thread::Builder::new().name("muni-writer".into()).spawn(move || group_writer(&pool, &rx));
            if let Err(e) = spawned {
                log::error!("cannot start the database writer: {e}");
            }
            tx
        })
    }
}

/// One queued write: run inside the group's transaction, then told how the commit went.
trait BatchJob: Send {
    fn run(&mut self, conn: &mut DbConn);
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Pending<T, F> {
    f: Option<F>,
    result: Option<Result<T, ApiError>>,
    reply: tokio::sync::oneshot::Sender<Result<T, ApiError>>,
}

impl<T, F> BatchJob for Pending<T, F>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send,
    T: Send,
{
    fn run(&mut self, conn: &mut DbConn) {
        if let Some(f) = self.f.take() {
            // Nested in the group's transaction, this is a savepoint.
            self.result = Some(conn.transaction(f));
        }
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let answer = match (self.result, committed) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(e)) => Err(ApiError::Unavailable(format!("the write was not committed: {e}"))),
            (None, Ok(())) => Err(ApiError::internal("a queued write did not run")),
        };
        let _ = self.reply.send(answer);
    }
}

fn group_writer(pool: &Pool, queue: &mpsc::Receiver<Box<dyn BatchJob>>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let committed = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
            write_transaction(&mut conn, |c| {
                for job in group.iter_mut() {
                    // A panic leaves a savepoint half done: nothing of the group is committed.
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(c)))
                        .map_err(|_| diesel::result::Error::RollbackTransaction)?;
                }
                Ok::<_, diesel::result::Error>(())
            })
            .map_err(|e| e.to_string())
        });
        if let Err(e) = &committed {
            log::error!("a group of {} writes failed to commit: {e}", group.len());
        }
        for job in group {
            job.finish(committed.clone());
        }
    }
}

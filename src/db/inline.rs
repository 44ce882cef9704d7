//! Reads of SQLite on the calling thread, with a connection of that thread's own.
//!
//! A SQLite read is CPU work on a memory-mapped file: an article by its slug is a few
//! prepared statements of some microseconds each. Handed to the blocking pool, the same read paid
//! two thread switches, the pool's locks and a pooled connection's checkout, which together cost
//! more than the read (a profile of random article reads: 40 % of the time in the kernel switching
//! threads). So the public reads run where the request is, on the HTTP worker, each worker keeping
//! one connection (and its prepared statements) for the database it reads. PostgreSQL is a network
//! round trip away: its reads still go to the blocking pool.
//!
//! Only short reads belong here (one page, one item): the worker serves its other connections only
//! once the read returns. Writes never do (they wait for the writer's turn).

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use diesel::Connection;

use super::{Database, DatabaseUrl, DbConn, connect, run, witness};
use crate::error::ApiError;

thread_local! {
    /// This thread's reader: the database file it reads, and its connection.
    static READER: RefCell<Option<(PathBuf, DbConn)>> = const { RefCell::new(None) };
}

/// Runs read-only database work: on SQLite here, on this thread's own connection; on PostgreSQL
/// on the blocking pool, as [`run`] does.
pub async fn read<T, F>(db: &Database, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    match &db.url {
        DatabaseUrl::Sqlite(path) => on_this_thread(path, &db.url, f),
        DatabaseUrl::Postgres(_) => run(db, f).await,
    }
}

fn on_this_thread<T>(
    path: &Path,
    url: &DatabaseUrl,
    f: impl FnOnce(&mut DbConn) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    READER.with(|reader| {
        let mut reader = reader.borrow_mut();
        if reader.as_ref().is_none_or(|(file, _)| file != path) {
            let conn = connect(url).map_err(|e| ApiError::Unavailable(e.to_string()))?;
            *reader = Some((path.to_owned(), conn));
        }
        let (_, conn) = reader.as_mut().expect("opened above");
        // One read transaction for all the queries of a request: one snapshot, and the locks,
        // the check for a hot journal and the WAL's read mark taken once instead of per query.
        let read = || witness::on_thread(witness::current(), || conn.transaction(f));
        let result = catch_unwind(AssertUnwindSafe(read))
            .unwrap_or_else(|_| Err(ApiError::internal("a database read panicked")));
        // After a failure the connection starts afresh (SQLite connections are cheap to open):
        // whatever state the failure left it in goes with it.
        if matches!(result, Err(ApiError::Internal(_) | ApiError::Unavailable(_))) {
            *reader = None;
        }
        result
    })
}

//! Row and name locks that make a check and the write it guards one step (see [`super::write_transaction`]).

use diesel::QueryResult;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::DbConn;

/// Locks one row of `table` for the rest of the write transaction, so that the check a write makes
/// (If-Match, a lifecycle step's current status) and the write are one step: a concurrent writer of
/// the same row waits here and then sees this one's change. PostgreSQL takes a row lock; SQLite
/// needs none, since [`super::write_transaction`] already lets one writer in at a time.
pub fn lock_row(conn: &mut DbConn, table: &'static str, id: i64) -> QueryResult<()> {
    match conn {
        DbConn::Postgres(c) => diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"))
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(c)
            .map(|_| ()),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// As [`lock_row`], for a row keyed by a text column.
pub fn lock_row_by_key(conn: &mut DbConn, table: &'static str, column: &'static str, key: &str) -> QueryResult<()> {
    match conn {
        DbConn::Postgres(c) => diesel::sql_query(format!("SELECT 1 FROM {table} WHERE {column} = $1 FOR UPDATE"))
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(c)
            .map(|_| ()),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Takes a lock named `name` for the rest of the write transaction: writers that would pick the same
/// new value (the next free slug for one title) take turns, and each sees what the one before it
/// committed. Rows that do not exist yet cannot be locked; a name can. PostgreSQL takes a
/// transaction-level advisory lock; SQLite needs none (one writer at a time).
pub fn lock_name(conn: &mut DbConn, name: &str) -> QueryResult<()> {
    match conn {
        DbConn::Postgres(c) => {
            diesel::sql_query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS locked")
                .bind::<diesel::sql_types::Text, _>(name)
                .execute(c)
                .map(|_| ())
        }
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// As [`lock_name`], without waiting: whether the lock was taken (another transaction holds it
/// otherwise). SQLite has one writer at a time, so there it is always taken.
pub fn try_lock_name(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Taken {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        taken: bool,
    }
    match conn {
        DbConn::Postgres(c) => {
            let rows: Vec<Taken> =
                diesel::sql_query("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS taken")
                    .bind::<diesel::sql_types::Text, _>(name)
                    .load(c)?;
            Ok(rows.first().is_some_and(|t| t.taken))
        }
        DbConn::Sqlite(_) => Ok(true),
    }
}

/// As [`lock_row`], for every row of `table` that matches `condition` (a fixed SQL condition).
pub fn lock_rows(conn: &mut DbConn, table: &'static str, condition: &'static str) -> QueryResult<()> {
    match conn {
        DbConn::Postgres(c) => {
            c.batch_execute(&format!("SELECT 1 FROM {table} WHERE {condition} FOR UPDATE")).map(|_| ())
        }
        DbConn::Sqlite(_) => Ok(()),
    }
}

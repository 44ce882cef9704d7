//! The audit log's queries: appending to the hash chain, reading it back, and checking it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sha2::{Digest, Sha256};

use super::model::{AuditFilter, AuditRow, NewEntry};
use crate::db::schema::audit_log;
use crate::db::{self, DbConn};

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One change-log entry written by the current transaction.
#[derive(Debug, serde::Serialize)]
pub struct ChangeOfThisTransaction {
    pub position: i64,
    pub resource: String,
    pub resource_id: i64,
    pub action: String,
    /// The revision this save made, if the resource keeps revisions and its content changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
}

#[derive(QueryableByName)]
struct ChangeRow {
    #[diesel(sql_type = BigInt)]
    pub position: i64,
    #[diesel(sql_type = Text)]
    pub resource: String,
    #[diesel(sql_type = BigInt)]
    pub resource_id: i64,
    #[diesel(sql_type = Text)]
    action: String,
}

#[derive(QueryableByName)]
struct Mark {
    #[diesel(sql_type = BigInt)]
    mark: i64,
}

/// The change log's last position as this transaction sees it: what it writes comes after.
pub fn change_mark(conn: &mut DbConn) -> QueryResult<i64> {
    let sql = "SELECT COALESCE(MAX(id), 0) AS mark FROM changes";
    let rows: Vec<Mark> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c)?,
        DbConn::Postgres(c) => diesel::sql_query(sql).load(c)?,
    };
    Ok(rows.first().map_or(0, |m| m.mark))
}

/// The change-log entries this transaction wrote after `mark`: on SQLite every later entry (one
/// writer at a time), on PostgreSQL those of the tick this transaction holds (the change clock
/// records which transaction took it; rows written in a savepoint count too).
pub fn changes_since(conn: &mut DbConn, mark: i64) -> QueryResult<Vec<ChangeOfThisTransaction>> {
    const COLUMNS: &str = "SELECT id AS position, resource, resource_id, action FROM changes";
    let rows: Vec<ChangeRow> = match conn {
        DbConn::Sqlite(c) => {
            diesel::sql_query(format!("{COLUMNS} WHERE id > ?1 ORDER BY id")).bind::<BigInt, _>(mark).load(c)?
        }
        DbConn::Postgres(c) => diesel::sql_query(format!(
            "{COLUMNS} WHERE id > $1 AND tick = \
                 (SELECT tick FROM change_clock WHERE id = 1 AND tx = txid_current()) ORDER BY id"
        ))
        .bind::<BigInt, _>(mark)
        .load(c)?,
    };
    Ok(rows
        .into_iter()
        .map(|r| ChangeOfThisTransaction {
            position: r.position,
            resource: r.resource,
            resource_id: r.resource_id,
            action: r.action,
            revision: None,
        })
        .collect())
}

/// Appends an entry at the end of the chain. Appends are serialised (a named lock on PostgreSQL,
/// the single writer on SQLite) until the transaction ends, so the chain follows the ids.
pub fn append(conn: &mut DbConn, entry: &NewEntry) -> QueryResult<i64> {
    db::lock_name(conn, "audit_log")?;
    let prev_hash = audit_log::table
        .select(audit_log::hash)
        .order(audit_log::id.desc())
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| GENESIS.to_owned());
    let hash = chain_hash(&prev_hash, entry);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(entry.at),
            audit_log::actor_id.eq(entry.actor_id),
            audit_log::actor_role.eq(&entry.actor_role),
            audit_log::site_id.eq(entry.site_id),
            audit_log::action.eq(&entry.action),
            audit_log::route.eq(&entry.route),
            audit_log::resource.eq(&entry.resource),
            audit_log::resource_id.eq(&entry.resource_id),
            audit_log::changes.eq(&entry.changes),
            audit_log::request_id.eq(&entry.request_id),
            audit_log::address.eq(&entry.address),
            audit_log::user_agent.eq(&entry.user_agent),
            audit_log::detail.eq(&entry.detail),
            audit_log::prev_hash.eq(&prev_hash),
            audit_log::hash.eq(&hash),
        ))
        .returning(audit_log::id)
        .get_result(conn)
}

/// The hash of an entry: SHA-256 of the previous hash and the entry's content as a JSON array
/// (every column but the id and the hashes, times to the microsecond).
pub fn chain_hash(prev_hash: &str, entry: &NewEntry) -> String {
    let content = serde_json::json!([
        prev_hash,
        entry.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        entry.actor_id,
        entry.actor_role,
        entry.site_id,
        entry.action,
        entry.route,
        entry.resource,
        entry.resource_id,
        entry.changes,
        entry.request_id,
        entry.address,
        entry.user_agent,
        entry.detail,
    ]);
    let digest = Sha256::digest(content.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A page of entries, newest first (or oldest first, for an export).
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    oldest_first: bool,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<AuditRow>, i64)> {
    let query = || {
        let mut query = audit_log::table.into_boxed();
        if let Some(site) = filter.site_id {
            query = query.filter(audit_log::site_id.eq(site));
        }
        if let Some(user) = filter.actor_id {
            query = query.filter(audit_log::actor_id.eq(user));
        }
        if let Some(action) = &filter.action {
            query = match action.strip_suffix('*') {
                Some(prefix) => {
                    query.filter(audit_log::action.like(format!("{}%", db::escape_like(prefix))).escape('\\'))
                }
                None => query.filter(audit_log::action.eq(action.clone())),
            };
        }
        if let Some(resource) = &filter.resource {
            query = query.filter(audit_log::resource.eq(resource.clone()));
        }
        if let Some(id) = &filter.resource_id {
            query = query.filter(audit_log::resource_id.eq(id.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter(audit_log::at.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(audit_log::at.le(to));
        }
        if let Some(after) = filter.after_id {
            query = query.filter(audit_log::id.gt(after));
        }
        query
    };
    let total = query().count().get_result(conn)?;
    let ordered = if oldest_first { query().order(audit_log::id.asc()) } else { query().order(audit_log::id.desc()) };
    let rows = ordered.offset(offset).limit(limit).select(AuditRow::as_select()).load(conn)?;
    Ok((rows, total))
}

/// Entries in chain order from `after` (exclusive), at most `limit`.
pub fn chain_from(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::id.gt(after))
        .order(audit_log::id.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// What checking the chain found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry's hash matches its content and the one before.
    Intact { entries: u64 },
    /// The first entry whose hash or link does not match.
    Broken { id: i64, reason: String },
}

/// Recomputes the chain from the start, a thousand entries at a time.
pub fn verify(conn: &mut DbConn) -> QueryResult<Verdict> {
    let (mut prev, mut after, mut entries) = (GENESIS.to_owned(), 0_i64, 0_u64);
    loop {
        let rows = chain_from(conn, after, 1000)?;
        if rows.is_empty() {
            return Ok(Verdict::Intact { entries });
        }
        for row in rows {
            if row.prev_hash != prev {
                return Ok(Verdict::Broken { id: row.id, reason: "does not link to the entry before it".into() });
            }
            if chain_hash(&prev, &row.entry()) != row.hash {
                return Ok(Verdict::Broken { id: row.id, reason: "its content does not match its hash".into() });
            }
            prev = row.hash;
            after = row.id;
            entries += 1;
        }
    }
}

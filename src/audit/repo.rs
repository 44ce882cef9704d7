//! The audit log's queries: appending to the hash chain, reading it back, and checking it.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sha2::{Digest, Sha256};

use super::model::{AuditFilter, AuditRow, NewEntry};
use crate::db::schema::{audit_anchor, audit_log};
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
    let last = audit_log::table.select(audit_log::hash).order(audit_log::id.desc()).first::<String>(conn).optional()?;
    let prev_hash = match last {
        Some(hash) => hash,
        // Every entry aged out: the chain goes on from the last one archived.
        None => anchor(conn)?.map_or_else(|| GENESIS.to_owned(), |a| a.through_hash),
    };
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

/// Recomputes the chain from the start (or from the last entry archived), a thousand entries at a
/// time.
pub fn verify(conn: &mut DbConn) -> QueryResult<Verdict> {
    let (mut prev, mut after) = match anchor(conn)? {
        Some(anchor) => (anchor.through_hash, anchor.through_id),
        None => (GENESIS.to_owned(), 0_i64),
    };
    let mut entries = 0_u64;
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

/// The last entry archived and removed: where the chain in the table starts.
#[derive(Debug, Clone, Queryable)]
pub struct Anchor {
    pub through_id: i64,
    pub through_hash: String,
    pub archive: String,
    pub at: chrono::NaiveDateTime,
}

pub fn anchor(conn: &mut DbConn) -> QueryResult<Option<Anchor>> {
    audit_anchor::table
        .select((audit_anchor::through_id, audit_anchor::through_hash, audit_anchor::archive, audit_anchor::at))
        .first(conn)
        .optional()
}

/// What one ageing-out step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archived {
    pub entries: usize,
    pub through_id: i64,
    pub file: std::path::PathBuf,
}

/// The most entries one archive file holds.
const ARCHIVE_BATCH: i64 = 50_000;

/// Ages out entries older than `before`, at most a batch: writes them to a JSON Lines file in
/// `dir` (synced to disk), moves the anchor to the last of them, and only then deletes them, all
/// in one transaction (the triggers refuse to delete past the anchor). `None`: nothing to age out.
pub fn age_out(
    conn: &mut DbConn,
    before: chrono::NaiveDateTime,
    dir: &std::path::Path,
) -> Result<Option<Archived>, String> {
    db::write_transaction(conn, |conn| -> Result<Option<Archived>, crate::error::ApiError> {
        db::lock_name(conn, "audit_log")?;
        let after = anchor(conn)?.map_or(0, |a| a.through_id);
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::id.gt(after))
            .filter(audit_log::at.lt(before))
            .order(audit_log::id.asc())
            .limit(ARCHIVE_BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        // Only a run of the chain from its start: an older entry after a newer one waits for it.
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(None) };
        let file = dir.join(format!("audit-{:012}-{:012}.jsonl", first.id, last.id));
        let mut text = String::new();
        for row in &rows {
            let mut line = serde_json::to_value(row.view()).map_err(crate::error::ApiError::internal)?;
            line["prev_hash"] = serde_json::Value::String(row.prev_hash.clone());
            text.push_str(&line.to_string());
            text.push('\n');
        }
        write_synced(&file, text.as_bytes()).map_err(|e| {
            crate::error::ApiError::internal(format!("cannot write the archive {}: {e}", file.display()))
        })?;
        let name = file.to_string_lossy().into_owned();
        let moved = diesel::update(audit_anchor::table.filter(audit_anchor::id.eq(1_i64)))
            .set((
                audit_anchor::through_id.eq(last.id),
                audit_anchor::through_hash.eq(&last.hash),
                audit_anchor::archive.eq(&name),
                audit_anchor::at.eq(db::now()),
            ))
            .execute(conn)?;
        if moved == 0 {
            diesel::insert_into(audit_anchor::table)
                .values((
                    audit_anchor::id.eq(1_i64),
                    audit_anchor::through_id.eq(last.id),
                    audit_anchor::through_hash.eq(&last.hash),
                    audit_anchor::archive.eq(&name),
                    audit_anchor::at.eq(db::now()),
                ))
                .execute(conn)?;
        }
        diesel::delete(audit_log::table.filter(audit_log::id.le(last.id))).execute(conn)?;
        Ok(Some(Archived { entries: rows.len(), through_id: last.id, file }))
    })
    .map_err(|e| e.to_string())
}

/// Writes a file whole or not at all: a temporary file, synced, renamed, and the folder synced.
fn write_synced(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let staged = path.with_extension("jsonl.partial");
    let mut file = std::fs::File::create(&staged)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&staged, path)?;
    std::fs::File::open(dir)?.sync_all()
}

//! The audit log's queries: appending to the hash chain, reading it back, and checking it.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
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

/// The change log's last position as this transaction sees it: what it writes comes after. On
/// PostgreSQL a transaction's entries are the only ones it sees without a tick (tick 0, until its
/// commit stamps them), so no mark is needed (and no round trip made).
pub fn change_mark(conn: &mut DbConn) -> QueryResult<i64> {
    let DbConn::Sqlite(c) = conn else { return Ok(0) };
    let rows: Vec<Mark> = diesel::sql_query("SELECT COALESCE(MAX(id), 0) AS mark FROM changes").load(c)?;
    Ok(rows.first().map_or(0, |m| m.mark))
}

/// The change-log entries this transaction wrote after `mark`: on SQLite every later entry (one
/// writer at a time), on PostgreSQL those it wrote that its commit has not stamped with a tick yet
/// (migration `change_clock_at_commit`; rows written in a savepoint count too).
pub fn changes_since(conn: &mut DbConn, mark: i64) -> QueryResult<Vec<ChangeOfThisTransaction>> {
    const COLUMNS: &str = "SELECT id AS position, resource, resource_id, action FROM changes";
    let rows: Vec<ChangeRow> = match conn {
        DbConn::Sqlite(c) => {
            diesel::sql_query(format!("{COLUMNS} WHERE id > ?1 ORDER BY id")).bind::<BigInt, _>(mark).load(c)?
        }
        DbConn::Postgres(c) => {
            diesel::sql_query(format!("{COLUMNS} WHERE tx = txid_current() AND tick = 0 ORDER BY id")).load(c)?
        }
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

/// Appends an entry. On SQLite (one writer at a time) it is sealed as it is written: its place
/// in the chain and its hashes. On PostgreSQL it is written awaiting its seal, taking no lock and
/// reading nothing, and [`seal`] chains it after commit (the sealer is poked here): the chain's
/// lock would otherwise be held by every staff write, with the change clock.
pub fn append(conn: &mut DbConn, entry: &NewEntry) -> QueryResult<i64> {
    let seal = match conn {
        DbConn::Sqlite(_) => {
            let (seq, prev_hash) = chain_end(conn)?;
            let hash = chain_hash(&prev_hash, entry);
            Some((seq + 1, prev_hash, hash))
        }
        DbConn::Postgres(_) => None,
    };
    let id = diesel::insert_into(audit_log::table)
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
            audit_log::seq.eq(seal.as_ref().map(|s| s.0)),
            audit_log::prev_hash.eq(seal.as_ref().map(|s| s.1.as_str())),
            audit_log::hash.eq(seal.as_ref().map(|s| s.2.as_str())),
        ))
        .returning(audit_log::id)
        .get_result(conn)?;
    if seal.is_none() {
        super::sealer::poke();
    }
    Ok(id)
}

/// The end of the chain: the last sealed entry's place and hash, or the anchor's when every entry
/// aged out, or the genesis.
fn chain_end(conn: &mut DbConn) -> QueryResult<(i64, String)> {
    let last = audit_log::table
        .filter(audit_log::seq.is_not_null())
        .select((audit_log::seq, audit_log::hash))
        .order(audit_log::seq.desc())
        .first::<(Option<i64>, Option<String>)>(conn)
        .optional()?;
    if let Some((Some(seq), Some(hash))) = last {
        return Ok((seq, hash));
    }
    // Every entry aged out: the chain goes on from the last one archived.
    Ok(anchor(conn)?.map_or_else(|| (0, GENESIS.to_owned()), |a| (a.through_seq, a.through_hash)))
}

/// The most entries one sealing transaction chains.
const SEAL_BATCH: i64 = 1000;

/// Chains the committed entries awaiting their seal, in id order, after the end of the chain: one
/// sealer at a time across every node (a lock taken without waiting: if another holds it, it is
/// sealing these same entries). Answers how many it sealed. Nothing to do on SQLite.
pub fn seal(conn: &mut DbConn) -> QueryResult<usize> {
    let DbConn::Postgres(_) = conn else { return Ok(0) };
    let mut sealed = 0;
    loop {
        let batch = conn.transaction(|conn| -> QueryResult<usize> {
            // The same lock `age_out` takes, so that archiving and sealing take turns too.
            if !db::try_lock_name(conn, "audit_log")? {
                return Ok(0);
            }
            let rows: Vec<AuditRow> = audit_log::table
                .filter(audit_log::seq.is_null())
                .order(audit_log::id.asc())
                .limit(SEAL_BATCH)
                .select(AuditRow::as_select())
                .load(conn)?;
            if rows.is_empty() {
                return Ok(0);
            }
            let (mut seq, mut prev) = chain_end(conn)?;
            let (mut ids, mut seqs, mut prevs, mut hashes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for row in &rows {
                let hash = chain_hash(&prev, &row.entry());
                seq += 1;
                ids.push(row.id);
                seqs.push(seq);
                prevs.push(std::mem::replace(&mut prev, hash.clone()));
                hashes.push(hash);
            }
            let DbConn::Postgres(pg) = &mut *conn else { unreachable!("checked above") };
            diesel::sql_query(
                "UPDATE audit_log SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash \
                 FROM unnest($1, $2, $3, $4) AS s(id, seq, prev_hash, hash) \
                 WHERE audit_log.id = s.id AND audit_log.seq IS NULL",
            )
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<BigInt>, _>(&seqs)
            .bind::<Array<Text>, _>(&prevs)
            .bind::<Array<Text>, _>(&hashes)
            .execute(pg)?;
            Ok(rows.len())
        })?;
        sealed += batch;
        if batch < SEAL_BATCH as usize {
            return Ok(sealed);
        }
    }
}

/// How many entries await their seal (committed, as this connection sees them).
pub fn awaiting_seal(conn: &mut DbConn) -> QueryResult<i64> {
    audit_log::table.filter(audit_log::seq.is_null()).count().get_result(conn)
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

/// Sealed entries in chain order after the place `after` (exclusive), at most `limit`.
pub fn chain_from(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::seq.gt(after))
        .order(audit_log::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
}

/// What checking the chain found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every sealed entry's hash matches its content and the one before; `awaiting` entries were
    /// committed but not sealed yet (on PostgreSQL, for the moment after their commit).
    Intact { entries: u64, awaiting: u64 },
    /// The first entry (by id) whose hash or link does not match.
    Broken { id: i64, reason: String },
}

/// Recomputes the chain from the start (or from the last entry archived), a thousand entries at a
/// time.
pub fn verify(conn: &mut DbConn) -> QueryResult<Verdict> {
    let (mut after, mut prev) = match anchor(conn)? {
        Some(anchor) => (anchor.through_seq, anchor.through_hash),
        None => (0_i64, GENESIS.to_owned()),
    };
    let mut entries = 0_u64;
    loop {
        let rows = chain_from(conn, after, 1000)?;
        if rows.is_empty() {
            let awaiting = u64::try_from(awaiting_seal(conn)?).unwrap_or(0);
            return Ok(Verdict::Intact { entries, awaiting });
        }
        for row in rows {
            if row.prev_hash.as_deref() != Some(prev.as_str()) {
                return Ok(Verdict::Broken { id: row.id, reason: "does not link to the entry before it".into() });
            }
            let hash = chain_hash(&prev, &row.entry());
            if row.hash.as_deref() != Some(hash.as_str()) {
                return Ok(Verdict::Broken { id: row.id, reason: "its content does not match its hash".into() });
            }
            prev = hash;
            after = row.seq.unwrap_or(after);
            entries += 1;
        }
    }
}

/// The last entry archived and removed: where the chain in the table starts.
#[derive(Debug, Clone, Queryable)]
pub struct Anchor {
    /// The last entry archived, by id ...
    pub through_id: i64,
    pub through_hash: String,
    pub archive: String,
    pub at: chrono::NaiveDateTime,
    /// ... and by its place in the chain.
    pub through_seq: i64,
}

pub fn anchor(conn: &mut DbConn) -> QueryResult<Option<Anchor>> {
    audit_anchor::table
        .select((
            audit_anchor::through_id,
            audit_anchor::through_hash,
            audit_anchor::archive,
            audit_anchor::at,
            audit_anchor::through_seq,
        ))
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
        let after = anchor(conn)?.map_or(0, |a| a.through_seq);
        let mut rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.gt(after))
            .order(audit_log::seq.asc())
            .limit(ARCHIVE_BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        // Only a run of the chain from its start: an older entry after a newer one waits for it.
        rows.truncate(rows.iter().position(|row| row.at >= before).unwrap_or(rows.len()));
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(None) };
        // Only sealed entries were read (entries awaiting their seal are not in the chain yet).
        let (Some(from_seq), Some(through_seq), Some(through_hash)) = (first.seq, last.seq, last.hash.clone()) else {
            return Ok(None);
        };
        let file = dir.join(format!("audit-{from_seq:012}-{through_seq:012}.jsonl"));
        let mut text = String::new();
        for row in &rows {
            let mut line = serde_json::to_value(row.view()).map_err(crate::error::ApiError::internal)?;
            line["prev_hash"] = serde_json::json!(row.prev_hash);
            line["seq"] = serde_json::json!(row.seq);
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
                audit_anchor::through_seq.eq(through_seq),
                audit_anchor::through_hash.eq(&through_hash),
                audit_anchor::archive.eq(&name),
                audit_anchor::at.eq(db::now()),
            ))
            .execute(conn)?;
        if moved == 0 {
            diesel::insert_into(audit_anchor::table)
                .values((
                    audit_anchor::id.eq(1_i64),
                    audit_anchor::through_id.eq(last.id),
                    audit_anchor::through_seq.eq(through_seq),
                    audit_anchor::through_hash.eq(&through_hash),
                    audit_anchor::archive.eq(&name),
                    audit_anchor::at.eq(db::now()),
                ))
                .execute(conn)?;
        }
        diesel::delete(audit_log::table.filter(audit_log::seq.le(through_seq))).execute(conn)?;
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

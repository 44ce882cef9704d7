//! Queries on procedures: upsert by code (import), lists, facets.

use diesel::prelude::*;

use super::model::{
    ImportReport, Level, Procedure, ProcedureRecord, ProcedureRow, RejectedRow, processing_days, validate,
};
use crate::db::schema::{fields, procedures};
use crate::db::{Db, DbConn};
use crate::error::ApiError;
use crate::fields::model::{Field, FieldRow};

/// The field named by `name_or_code`, created when it does not exist yet.
pub fn field_for(conn: &mut DbConn, name_or_code: &str) -> QueryResult<FieldRow> {
    let code = crate::text::slugify(name_or_code, 60);
    if let Some(found) = fields::table
        .filter(fields::code.eq(&code).or(fields::name.eq(name_or_code.trim())))
        .select(FieldRow::as_select())
        .first(conn)
        .optional()?
    {
        return Ok(found);
    }
    let name = if name_or_code.contains(' ') || !name_or_code.is_ascii() { name_or_code.trim() } else { &code };
    diesel::insert_into(fields::table)
        .values((fields::code.eq(&code), fields::name.eq(name), fields::position.eq(100)))
        .returning((fields::id, fields::code, fields::name, fields::position))
        .get_result::<(i64, String, String, i32)>(conn)
        .map(|(id, code, name, position)| FieldRow { id, code, name, position })
}

/// The record as stored: trimmed, and its canonical JSON with a hash of it.
fn canonical(record: &ProcedureRecord) -> (ProcedureRecord, String, String) {
    let mut record = record.clone();
    super::forms::without_filled(&mut record);
    record.code = record.code.trim().to_owned();
    record.name = record.name.trim().to_owned();
    let json = serde_json::to_string(&record).unwrap_or_default();
    let hash = crate::citizen::sha256_hex(&json);
    (record, json, hash)
}

/// The folded text search runs over; it starts with the name, so that ordering by it orders by
/// name as a Vietnamese reader expects (`Đ` with `D`, not after `Z`).
fn search_text(record: &ProcedureRecord) -> String {
    let dossier: Vec<&str> = record.dossier.iter().map(|d| d.name.as_str()).collect();
    crate::text::fold(&format!(
        "{} {} {} {} {}",
        record.name,
        record.code,
        record.field.as_deref().unwrap_or(""),
        record.agency.as_deref().unwrap_or(""),
        dossier.join(" ")
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created(i64),
    Updated(i64),
    Unchanged(i64),
}

/// Creates or updates the procedure with the record's code in the site; a deleted one comes back.
pub fn upsert(conn: &mut DbConn, site_id: i64, record: &ProcedureRecord, source: &str) -> QueryResult<Upserted> {
    let (record, json, hash) = canonical(record);
    let field_id = match &record.field {
        Some(field) => Some(field_for(conn, field)?.id),
        None => None,
    };
    let now = crate::db::now();
    let existing: Option<(i64, String, Option<NaiveDateTimeAlias>)> = procedures::table
        .filter(procedures::site_id.eq(site_id))
        .filter(procedures::code.eq(&record.code))
        .select((procedures::id, procedures::record_hash, procedures::deleted_at))
        .first(conn)
        .optional()?;
    let days = record.processing_time.as_deref().and_then(processing_days);
    match existing {
        Some((id, old_hash, None)) if old_hash == hash => Ok(Upserted::Unchanged(id)),
        Some((id, _, _)) => {
            diesel::update(procedures::table.find(id))
                .set((
                    procedures::name.eq(&record.name),
                    procedures::field_id.eq(field_id),
                    procedures::agency.eq(record.agency.as_deref().unwrap_or("")),
                    procedures::level.eq(record.level.as_str()),
                    procedures::validity.eq(record.validity.as_str()),
                    procedures::replaced_by.eq(&record.replaced_by),
                    procedures::processing_days.eq(days),
                    procedures::record.eq(&json),
                    procedures::record_hash.eq(&hash),
                    procedures::search_text.eq(search_text(&record)),
                    procedures::source.eq(source),
                    procedures::imported_at.eq(Some(now)),
                    procedures::updated_at.eq(now),
                    procedures::deleted_at.eq(None::<NaiveDateTimeAlias>),
                ))
                .execute(conn)?;
            super::forms::record_uses(conn, id, &record)?;
            Ok(Upserted::Updated(id))
        }
        None => {
            let id = diesel::insert_into(procedures::table)
                .values((
                    procedures::site_id.eq(site_id),
                    procedures::code.eq(&record.code),
                    procedures::name.eq(&record.name),
                    procedures::field_id.eq(field_id),
                    procedures::agency.eq(record.agency.as_deref().unwrap_or("")),
                    procedures::level.eq(record.level.as_str()),
                    procedures::validity.eq(record.validity.as_str()),
                    procedures::replaced_by.eq(&record.replaced_by),
                    procedures::processing_days.eq(days),
                    procedures::record.eq(&json),
                    procedures::record_hash.eq(&hash),
                    procedures::search_text.eq(search_text(&record)),
                    procedures::source.eq(source),
                    procedures::imported_at.eq(Some(now)),
                    procedures::created_at.eq(now),
                    procedures::updated_at.eq(now),
                ))
                .returning(procedures::id)
                .get_result(conn)?;
            super::forms::record_uses(conn, id, &record)?;
            Ok(Upserted::Created(id))
        }
    }
}

type NaiveDateTimeAlias = chrono::NaiveDateTime;

/// Imports parsed rows, one transaction per batch of `batch` rows. Malformed rows are reported,
/// and with `strict` nothing is written when there is one.
pub fn import(
    conn: &mut DbConn,
    site_id: i64,
    rows: Vec<super::import::Parsed>,
    source: &str,
    strict: bool,
    batch: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportReport, ApiError> {
    let mut report = ImportReport::default();
    let mut valid: Vec<(usize, ProcedureRecord)> = vec![];
    for (row, parsed) in rows {
        match parsed {
            Ok(record) => {
                let mut errors = validate(&record);
                errors.extend(super::forms::check(conn, site_id, &record)?);
                if errors.is_empty() {
                    valid.push((row, record));
                } else {
                    report.rejected.push(RejectedRow { row, code: Some(record.code.clone()), errors });
                }
            }
            Err(rejected) => report.rejected.push(rejected),
        }
    }
    // A code twice in one input: the later row wins, as a second import would.
    if strict && !report.rejected.is_empty() {
        return Ok(report);
    }
    let total = valid.len();
    let mut done = 0;
    for chunk in valid.chunks(batch.max(1)) {
        let outcomes = crate::db::write_transaction(conn, |c| {
            // A code that a concurrent import created first is updated instead (a savepoint each).
            chunk
                .iter()
                .map(|(_, record)| crate::db::retry_unique(c, 3, |c| upsert(c, site_id, record, source)))
                .collect::<QueryResult<Vec<_>>>()
        })?;
        for outcome in outcomes {
            match outcome {
                Upserted::Created(_) => report.created += 1,
                Upserted::Updated(_) => report.updated += 1,
                Upserted::Unchanged(_) => report.unchanged += 1,
            }
        }
        done += chunk.len();
        progress(done, total);
    }
    Ok(report)
}

pub fn to_procedures(conn: &mut DbConn, rows: Vec<ProcedureRow>) -> Result<Vec<Procedure>, ApiError> {
    let sites = crate::sites::refs_by_id(conn, rows.iter().map(|r| r.site_id).collect())?;
    let field_rows: Vec<FieldRow> = fields::table
        .filter(fields::id.eq_any(rows.iter().filter_map(|r| r.field_id).collect::<Vec<_>>()))
        .select(FieldRow::as_select())
        .load(conn)?;
    let mut procedures = rows
        .into_iter()
        .map(|r| {
            let record: ProcedureRecord = serde_json::from_str(&r.record).map_err(ApiError::internal)?;
            Ok(Procedure {
                id: r.id,
                site: sites.get(&r.site_id).cloned().ok_or_else(|| ApiError::internal("procedure without a site"))?,
                field_ref: r.field_id.and_then(|id| field_rows.iter().find(|f| f.id == id).cloned().map(Field::from)),
                record,
                processing_days: r.processing_days,
                source: r.source,
                imported_at: r.imported_at.map(|t| t.and_utc()),
                created_at: r.created_at.and_utc(),
                updated_at: r.updated_at.and_utc(),
            })
        })
        .collect::<Result<Vec<Procedure>, ApiError>>()?;
    super::forms::fill(conn, &mut procedures.iter_mut().map(|p| &mut p.record).collect::<Vec<_>>())?;
    Ok(procedures)
}

/// What a list of procedures is filtered by (validated by the handler).
pub struct ProcedureFilter {
    pub site_ids: Option<Vec<i64>>,
    pub field_id: Option<i64>,
    pub agency: Vec<String>,
    pub level: Option<Level>,
    /// `None` for every validity.
    pub validity: Option<String>,
    pub max_days: Option<i32>,
    pub words: Vec<String>,
    /// What the search engine found for the words (then `words` is empty).
    pub found: Option<Vec<i64>>,
}

fn filtered<'a>(f: &ProcedureFilter, skip_field: bool, skip_level: bool) -> procedures::BoxedQuery<'a, Db> {
    let mut q = procedures::table.filter(procedures::deleted_at.is_null()).into_boxed();
    if let Some(ids) = &f.site_ids {
        q = q.filter(procedures::site_id.eq_any(ids.clone()));
    }
    if let (Some(id), false) = (f.field_id, skip_field) {
        q = q.filter(procedures::field_id.eq(id));
    }
    if let (Some(level), false) = (f.level, skip_level) {
        q = q.filter(procedures::level.eq(level.as_str()));
    }
    if let Some(v) = &f.validity {
        q = q.filter(procedures::validity.eq(v.clone()));
    }
    if let Some(days) = f.max_days {
        q = q.filter(procedures::processing_days.le(days));
    }
    for word in &f.agency {
        q = q.filter(procedures::search_text.like(crate::db::like_contains(word)).escape('\\'));
    }
    for word in &f.words {
        q = q.filter(procedures::search_text.like(crate::db::like_contains(word)).escape('\\'));
    }
    if let Some(ids) = &f.found {
        q = q.filter(procedures::id.eq_any(ids.clone()));
    }
    q
}

/// The ids of every procedure the filters keep, in no order (the engine's order pages them).
pub fn matching_ids(conn: &mut DbConn, f: &ProcedureFilter) -> QueryResult<Vec<i64>> {
    filtered(f, false, false).select(procedures::id).load(conn)
}

/// A page of procedures by name, and how many match over all pages.
pub fn list(conn: &mut DbConn, f: &ProcedureFilter, offset: i64, limit: i64) -> QueryResult<(Vec<ProcedureRow>, i64)> {
    let total: i64 = filtered(f, false, false).count().get_result(conn)?;
    let rows = filtered(f, false, false)
        .order((procedures::search_text.asc(), procedures::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(ProcedureRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// What the facets count: the matches, the field of each match ignoring the field filter, and the
/// level of each ignoring the level filter.
pub struct FacetValues {
    pub total: i64,
    pub field_ids: Vec<Option<i64>>,
    pub levels: Vec<String>,
}

pub fn facet_values(conn: &mut DbConn, f: &ProcedureFilter) -> QueryResult<FacetValues> {
    Ok(FacetValues {
        total: filtered(f, false, false).count().get_result(conn)?,
        field_ids: filtered(f, true, false).select(procedures::field_id).load(conn)?,
        levels: filtered(f, false, true).select(procedures::level).load(conn)?,
    })
}

/// The records of every live procedure (of these sites), by code.
pub fn export_records(conn: &mut DbConn, site_ids: Option<Vec<i64>>) -> QueryResult<Vec<String>> {
    let mut q = procedures::table.filter(procedures::deleted_at.is_null()).into_boxed::<Db>();
    if let Some(ids) = site_ids {
        q = q.filter(procedures::site_id.eq_any(ids));
    }
    q.order(procedures::code.asc()).select(procedures::record).load(conn)
}

/// A live procedure by id (a key without dots) or national code (`1.001193`), of these sites; the
/// first site's when several have the code.
pub fn find_by_key(conn: &mut DbConn, key: &str, site_ids: Option<Vec<i64>>) -> QueryResult<Option<ProcedureRow>> {
    let mut q = procedures::table.filter(procedures::deleted_at.is_null()).into_boxed::<Db>();
    q = match key.parse::<i64>() {
        Ok(id) if !key.contains('.') => q.filter(procedures::id.eq(id)),
        _ => q.filter(procedures::code.eq(key.to_owned())),
    };
    if let Some(ids) = site_ids {
        q = q.filter(procedures::site_id.eq_any(ids));
    }
    q.order(procedures::site_id.asc()).select(ProcedureRow::as_select()).first(conn).optional()
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<ProcedureRow>> {
    procedures::table.find(id).select(ProcedureRow::as_select()).first(conn).optional()
}

/// A live procedure, locked for the rest of the write transaction (see [`crate::db::lock_row`]).
pub fn find_for_write(conn: &mut DbConn, id: i64) -> QueryResult<Option<ProcedureRow>> {
    crate::db::lock_row(conn, "procedures", id)?;
    procedures::table
        .find(id)
        .filter(procedures::deleted_at.is_null())
        .select(ProcedureRow::as_select())
        .first(conn)
        .optional()
}

/// Whether a live procedure of the site has this code.
pub fn code_taken(conn: &mut DbConn, site_id: i64, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        procedures::table
            .filter(procedures::site_id.eq(site_id))
            .filter(procedures::code.eq(code))
            .filter(procedures::deleted_at.is_null()),
    ))
    .get_result(conn)
}

/// Marks a procedure deleted; a re-import of its code brings it back.
pub fn soft_delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    let now = crate::db::now();
    diesel::update(procedures::table.find(id))
        .set((procedures::deleted_at.eq(Some(now)), procedures::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Of these procedures, those not deleted.
fn public_among(ids: &[i64]) -> procedures::BoxedQuery<'static, crate::db::Db> {
    procedures::table.filter(procedures::id.eq_any(ids.to_vec())).filter(procedures::deleted_at.is_null()).into_boxed()
}

/// Of these procedures, those not deleted, as rows.
pub fn public_rows(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<ProcedureRow>> {
    public_among(ids).select(ProcedureRow::as_select()).load(conn)
}

/// Of these procedures, the ids of those not deleted.
pub fn public_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<i64>> {
    public_among(ids).select(procedures::id).load(conn)
}

/// How many procedures of a site are in force or kept (each is a page of its portal).
pub fn count_pages(conn: &mut DbConn, site_id: i64) -> QueryResult<i64> {
    procedures::table
        .filter(procedures::site_id.eq(site_id))
        .filter(procedures::deleted_at.is_null())
        .count()
        .get_result(conn)
}

/// A slice of a site's procedures as pages (by code), by id.
pub fn pages(
    conn: &mut DbConn,
    site_id: i64,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<crate::sites::model::PageEntry>> {
    let rows: Vec<(i64, String, chrono::NaiveDateTime)> = procedures::table
        .filter(procedures::site_id.eq(site_id))
        .filter(procedures::deleted_at.is_null())
        .order(procedures::id.asc())
        .select((procedures::id, procedures::code, procedures::updated_at))
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, key, lastmod)| crate::sites::model::PageEntry { id, key, lastmod }).collect())
}

//! Forms to download (biểu mẫu, tờ khai) from the media library: a dossier document names one by
//! `form_media_id`, and every read gives it as `form` (its URL, name, type and size). The ids are
//! checked on write (documents of the procedure's site) and recorded as used, so a form in use is
//! kept from deletion.

use std::collections::HashMap;

use diesel::QueryResult;

use super::model::{Document, ProcedureRecord};
use crate::db::DbConn;
use crate::error::FieldError;

/// Every document of the record, with where it is (`dossier[0]`, `cases[1].dossier[2]`).
fn documents(record: &ProcedureRecord) -> Vec<(String, &Document)> {
    let own = record.dossier.iter().enumerate().map(|(i, d)| (format!("dossier[{i}]"), d));
    let cases = record.cases.iter().enumerate().flat_map(|(c, case)| {
        case.dossier.iter().enumerate().map(move |(i, d)| (format!("cases[{c}].dossier[{i}]"), d))
    });
    own.chain(cases).collect()
}

/// Every document of the record, to change.
fn documents_mut(record: &mut ProcedureRecord) -> impl Iterator<Item = &mut Document> {
    record.dossier.iter_mut().chain(record.cases.iter_mut().flat_map(|c| c.dossier.iter_mut()))
}

/// The library forms the record names, once each.
pub fn ids(record: &ProcedureRecord) -> Vec<i64> {
    let mut ids: Vec<i64> = documents(record).iter().filter_map(|(_, d)| d.form_media_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What is wrong with the forms the record names: each must be a document of the site's library.
pub fn check(conn: &mut DbConn, site_id: i64, record: &ProcedureRecord) -> QueryResult<Vec<FieldError>> {
    let named: Vec<(String, i64)> = documents(record)
        .into_iter()
        .filter_map(|(at, d)| Some((format!("{at}.form_media_id"), d.form_media_id?)))
        .collect();
    let rules = crate::media::Usable {
        site_id,
        wrong_site: "must be an item of the procedure's site",
        kind: Some(crate::media::model::MediaKind::Document),
        need_alt: false,
    };
    rules.errors(conn, &named)
}

/// Records the forms a procedure uses.
pub fn record_uses(conn: &mut DbConn, procedure_id: i64, record: &ProcedureRecord) -> QueryResult<()> {
    crate::media::set_uses(conn, "procedure", procedure_id, "form", &ids(record))
}

/// Fills each document's `form` from the library (left empty for an item gone or not ready).
pub fn fill(conn: &mut DbConn, records: &mut [&mut ProcedureRecord]) -> QueryResult<()> {
    let wanted: Vec<i64> = records.iter().flat_map(|r| ids(r)).collect();
    let files: HashMap<i64, crate::media::model::Attachment> = crate::media::attachments(conn, &wanted)?;
    for record in records.iter_mut() {
        for document in documents_mut(record) {
            document.form = document.form_media_id.and_then(|id| files.get(&id).cloned());
        }
    }
    Ok(())
}

/// The record as stored: what reads fill in is not kept.
pub fn without_filled(record: &mut ProcedureRecord) {
    for document in documents_mut(record) {
        document.form = None;
    }
}

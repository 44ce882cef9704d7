//! `GET /api/v1/changes`: the change feed.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use super::model::{Change, ChangeAction, ChangeRow, Changes, ChangesMeta, ChangesQuery, Position, ResourceType};
use super::repo;
use super::repo::payloads;
use crate::db;
use crate::error::ApiError;
use crate::http::{ApiQuery, Paging};
use crate::sites;
use crate::state::AppState;

/// What changed in everything the public can see, in commit order: articles, categories, events,
/// procedures, published questions and feedback, feedback topics and sites.
///
/// Entries come in the order their transactions committed, by a position that only grows (not a
/// timestamp), so a reader that keeps `next_cursor` never misses an entry: read from the start to
/// copy everything public, then poll with the cursor. An `upsert` carries the resource as its public
/// `GET` shows it now; a `delete` says it is no longer public (deleted, unpublished, withdrawn) and
/// carries its type and id. A scheduled article enters the feed when it becomes public. When a
/// resource changes several times within one page, only its last entry is in the page.
#[utoipa::path(
    tag = "changes",
    params(ChangesQuery),
    responses((status = 200, description = "A page of changes, and the cursor to resume from", body = Changes))
)]
#[get("/changes")]
pub async fn list_changes(state: web::Data<AppState>, query: ApiQuery<ChangesQuery>) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let paging = Paging::new(None, query.per_page)?;
    let start = match &query.since {
        Some(cursor) => Position::decode(cursor)?,
        None => Position::default(),
    };
    let (data, next, has_more) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let mut rows = repo::public_after(conn, start, site_ids.as_deref(), &query.types, paging.limit() + 1)?;
        let has_more = rows.len() as i64 > paging.limit();
        rows.truncate(paging.limit() as usize);
        let next = rows.last().map_or(start, ChangeRow::position);
        let rows = latest_of_each(rows);
        let mut payloads = payloads(conn, &rows)?;
        let sites = sites::refs_by_id(conn, rows.iter().filter_map(|r| r.site_id).collect())?;
        let data = rows
            .into_iter()
            .filter_map(|row| {
                let resource_type = ResourceType::parse(&row.resource)?;
                let data = payloads.remove(&(resource_type, row.resource_id));
                Some(Change {
                    cursor: row.position().encode(),
                    resource_type,
                    id: row.resource_id,
                    site: row.site_id.and_then(|id| sites.get(&id).cloned()),
                    action: if data.is_some() { ChangeAction::Upsert } else { ChangeAction::Delete },
                    changed_at: row.changed_at.and_utc(),
                    data,
                })
            })
            .collect::<Vec<_>>();
        Ok((data, next, has_more))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(Changes { data, meta: ChangesMeta { per_page: paging.per_page, next_cursor: next.encode(), has_more } }))
}

/// The entries of a page with those superseded later in the same page left out.
fn latest_of_each(rows: Vec<ChangeRow>) -> Vec<ChangeRow> {
    let last: HashMap<(&str, i64), i64> = rows.iter().map(|r| ((r.resource.as_str(), r.resource_id), r.id)).collect();
    let keep: Vec<bool> = rows.iter().map(|r| last[&(r.resource.as_str(), r.resource_id)] == r.id).collect();
    rows.into_iter().zip(keep).filter_map(|(row, keep)| keep.then_some(row)).collect()
}

//! Queries on events.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{ArticleRef, Event, EventRow, EventStatus};
use crate::db::schema::{articles, events, sites};
use crate::db::{Db, DbConn};
use crate::sites::model::SiteRef;

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub site_ids: Option<Vec<i64>>,
    /// Events that end at or after this.
    pub from: Option<NaiveDateTime>,
    /// Events that start before this.
    pub until: Option<NaiveDateTime>,
    /// Folded text the chair must contain.
    pub chair: Option<String>,
    /// Folded words the searchable text must contain.
    pub words: Vec<String>,
    /// What the search engine found for the words (then `words` is empty).
    pub found: Option<Vec<i64>>,
    /// `None`: what the public sees (no drafts).
    pub status: Option<EventStatus>,
    pub include_drafts: bool,
    /// Keep deleted events (as cancelled), for the iCalendar feed.
    pub include_deleted: bool,
    pub own_site: Option<i64>,
}

fn filtered<'a>(filter: &EventFilter) -> events::BoxedQuery<'a, Db> {
    let mut query = events::table.into_boxed();
    if !filter.include_deleted {
        query = query.filter(events::deleted_at.is_null());
    }
    match filter.status {
        Some(status) => query = query.filter(events::status.eq(status.as_str())),
        None if !filter.include_drafts => query = query.filter(events::status.ne("draft")),
        None => {}
    }
    if let Some(site) = filter.own_site {
        query = query.filter(events::site_id.eq(site));
    }
    if let Some(ids) = &filter.site_ids {
        query = query.filter(events::site_id.eq_any(ids.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(events::ends_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(events::starts_at.lt(until));
    }
    if let Some(chair) = &filter.chair {
        // The chair is the second field of the folded search text: `title | chair | ...`.
        query =
            query.filter(events::search_text.like(format!("%|c:%{}%|", crate::db::escape_like(chair))).escape('\\'));
    }
    for word in &filter.words {
        query = query.filter(events::search_text.like(crate::db::like_contains(word)).escape('\\'));
    }
    if let Some(ids) = &filter.found {
        query = query.filter(events::id.eq_any(ids.clone()));
    }
    query
}

pub fn list(
    conn: &mut DbConn,
    filter: &EventFilter,
    descending: bool,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<EventRow>, i64)> {
    let total = filtered(filter).count().get_result(conn)?;
    let query = filtered(filter);
    let query = if descending {
        query.order((events::starts_at.desc(), events::id.desc()))
    } else {
        query.order((events::starts_at.asc(), events::id.asc()))
    };
    let rows = query.select(EventRow::as_select()).offset(offset).limit(limit).load(conn)?;
    Ok((rows, total))
}

pub fn find_row(conn: &mut DbConn, id: i64) -> QueryResult<Option<EventRow>> {
    events::table.find(id).filter(events::deleted_at.is_null()).select(EventRow::as_select()).first(conn).optional()
}

/// The folded text that `q` and `chair` search: `|t:title|c:chair|...|`.
pub fn search_text(row: &EventRow) -> String {
    let fold = crate::text::fold;
    format!(
        "|t:{}|c:{}|d:{}|l:{}|p:{}|u:{}|",
        fold(&row.title),
        fold(&row.chair),
        fold(&row.description),
        fold(&row.location),
        fold(&row.participants),
        fold(&row.preparing_unit)
    )
}

pub fn to_events(conn: &mut DbConn, rows: Vec<EventRow>) -> QueryResult<Vec<Event>> {
    let site_ids: Vec<i64> = rows.iter().map(|r| r.site_id).collect();
    let article_ids: Vec<i64> = rows.iter().filter_map(|r| r.article_id).collect();
    let sites: HashMap<i64, SiteRef> = sites::table
        .filter(sites::id.eq_any(site_ids))
        .select((sites::id, sites::code, sites::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, SiteRef { id, code, name }))
        .collect();
    let attachment_ids: Vec<i64> = rows.iter().flat_map(EventRow::attachment_ids).collect();
    let files = crate::media::attachments(conn, &attachment_ids)?;
    let articles: HashMap<i64, ArticleRef> = if article_ids.is_empty() {
        HashMap::new()
    } else {
        articles::table
            .filter(articles::id.eq_any(article_ids))
            .filter(articles::deleted_at.is_null())
            .select((articles::id, articles::slug, articles::title))
            .load::<(i64, String, String)>(conn)?
            .into_iter()
            .map(|(id, slug, title)| (id, ArticleRef { id, slug, title }))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let starts = row.local(row.starts_at).fixed_offset();
            let ends = row.local(row.ends_at).fixed_offset();
            let (starts_on, ends_on) = if row.all_day {
                (Some(starts.date_naive()), Some(ends.date_naive().pred_opt().unwrap_or(ends.date_naive())))
            } else {
                (None, None)
            };
            let attachments = row.attachment_ids().iter().filter_map(|id| files.get(id).cloned()).collect();
            Event {
                attachments,
                id: row.id,
                uid: row.uid.clone(),
                site: sites.get(&row.site_id).cloned().unwrap_or(SiteRef {
                    id: row.site_id,
                    code: String::new(),
                    name: String::new(),
                }),
                title: row.title,
                description: row.description,
                all_day: row.all_day,
                starts_at: starts,
                ends_at: (row.all_day || row.ends_at > row.starts_at).then_some(ends),
                starts_on,
                ends_on,
                time_zone: row.time_zone,
                location: row.location,
                chair: row.chair,
                participants: row.participants,
                preparing_unit: row.preparing_unit,
                status: EventStatus::parse(&row.status).unwrap_or(EventStatus::Scheduled),
                article: row.article_id.and_then(|id| articles.get(&id).cloned()),
                sequence: row.sequence,
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
            }
        })
        .collect())
}

/// Inserts a new event (its `id` is ignored) and returns its id.
pub fn insert(conn: &mut DbConn, row: &EventRow) -> QueryResult<i64> {
    diesel::insert_into(events::table)
        .values((
            events::site_id.eq(row.site_id),
            events::uid.eq(&row.uid),
            events::title.eq(&row.title),
            events::description.eq(&row.description),
            events::all_day.eq(row.all_day),
            events::starts_at.eq(row.starts_at),
            events::ends_at.eq(row.ends_at),
            events::time_zone.eq(&row.time_zone),
            events::location.eq(&row.location),
            events::chair.eq(&row.chair),
            events::participants.eq(&row.participants),
            events::preparing_unit.eq(&row.preparing_unit),
            events::status.eq(&row.status),
            events::article_id.eq(row.article_id),
            events::attachment_media_ids.eq(&row.attachment_media_ids),
            events::sequence.eq(row.sequence),
            events::search_text.eq(&row.search_text),
            events::created_by.eq(row.created_by),
            events::updated_by.eq(row.updated_by),
            events::created_at.eq(row.created_at),
            events::updated_at.eq(row.updated_at),
        ))
        .returning(events::id)
        .get_result(conn)
}

pub fn count_for_site(conn: &mut DbConn, site_id: i64) -> QueryResult<i64> {
    events::table.filter(events::site_id.eq(site_id)).count().get_result(conn)
}

/// Whether a live (not deleted) article has this id.
pub fn article_exists(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        articles::table.filter(articles::id.eq(id)).filter(articles::deleted_at.is_null()),
    ))
    .get_result(conn)
}

/// Stores an event's row as changed.
pub fn save(conn: &mut DbConn, after: &EventRow, user_id: i64) -> QueryResult<()> {
    diesel::update(events::table.find(after.id))
        .set((
            events::title.eq(&after.title),
            events::description.eq(&after.description),
            events::all_day.eq(after.all_day),
            events::starts_at.eq(after.starts_at),
            events::ends_at.eq(after.ends_at),
            events::time_zone.eq(&after.time_zone),
            events::location.eq(&after.location),
            events::chair.eq(&after.chair),
            events::participants.eq(&after.participants),
            events::preparing_unit.eq(&after.preparing_unit),
            events::status.eq(&after.status),
            events::article_id.eq(after.article_id),
            events::attachment_media_ids.eq(&after.attachment_media_ids),
            events::sequence.eq(after.sequence),
            events::search_text.eq(&after.search_text),
            events::updated_by.eq(Some(user_id)),
            events::updated_at.eq(after.updated_at),
            events::deleted_at.eq(after.deleted_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Of these events, those the public sees (not drafts, not deleted).
fn public_among(ids: &[i64]) -> events::BoxedQuery<'static, crate::db::Db> {
    events::table
        .filter(events::id.eq_any(ids.to_vec()))
        .filter(events::status.ne(EventStatus::Draft.as_str()))
        .filter(events::deleted_at.is_null())
        .into_boxed()
}

/// Of these events, those the public sees, as rows.
pub fn public_rows(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<EventRow>> {
    public_among(ids).select(EventRow::as_select()).load(conn)
}

/// Of these events, the ids of those the public sees.
pub fn public_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<i64>> {
    public_among(ids).select(events::id).load(conn)
}

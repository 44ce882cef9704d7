//! Published submissions and their replies: what anyone can read, never personal data.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::model::*;
use super::repo;
use super::views::{parse_kind, subject_of};
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::http::{ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::sites;
use crate::state::AppState;

/// Published submissions and their replies: what anyone can read. Never personal data.
#[utoipa::path(
    tag = "feedback",
    params(PublishedListQuery),
    responses((status = 200, description = "A page of published submissions, newest first", body = ListResponse<PublishedFeedback>,
        headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                ("X-Total-Count" = i64, description = "Published submissions matching, over all pages"))))
)]
#[get("/feedback/published")]
pub async fn list_published(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ApiQuery<PublishedListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<PublishedFeedback>(query.fields.as_deref())?;
    let words = crate::text::search_words(query.q.as_deref());
    let (items, total) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let filter = repo::PublishedFilter {
            site_ids: site_ids.as_deref(),
            topic: query.topic.as_deref(),
            kind: query.kind,
            words: &words,
            codes: None,
        };
        let (rows, total) = repo::published(conn, &filter, paging.offset(), paging.limit())?;
        Ok((to_published(conn, rows)?, total))
    })
    .await?;
    Ok(list_response(&req, fields.apply(items), total, paging))
}

pub fn to_published(conn: &mut DbConn, rows: Vec<FeedbackRow>) -> Result<Vec<PublishedFeedback>, ApiError> {
    let topics = repo::topic_refs(conn, rows.iter().map(|r| r.topic_id).collect())?;
    Ok(rows
        .into_iter()
        .map(|r| PublishedFeedback {
            tracking_code: r.tracking_code.clone(),
            kind: parse_kind(&r.kind),
            topic: topics.get(&r.topic_id).cloned().unwrap_or(TopicRef {
                id: r.topic_id,
                code: String::new(),
                name: String::new(),
            }),
            subject: subject_of(&r),
            title: r.title.clone(),
            content: r.content.clone(),
            status: r.status(),
            public_reply: r.public_reply.clone(),
            replied_at: r.replied_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
            published_at: r.published_at.map(|t| t.and_utc()),
        })
        .collect())
}

/// Of these submissions, the published ones as the public sees them (the change feed's payloads).
pub fn published_by_ids(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, serde_json::Value>, ApiError> {
    let rows = repo::published_rows(conn, ids)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    ids.into_iter()
        .zip(to_published(conn, rows)?)
        .map(|(id, f)| Ok((id, serde_json::to_value(&f).map_err(ApiError::internal)?)))
        .collect()
}

//! Article reads: lists (offset and keyset paging), the change feed, one article by id or slug (old slugs\n//! redirect), its neighbours and related ones. Staff see every status with a token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDateTime, Utc};
use serde_json::Value;

use super::model::{
    Adjacent, Article, ArticleChange, ArticleChanges, ArticleGetQuery, ArticleListQuery, ArticleRow, ArticleStatus,
    ArticleSummary, ChangeKind, ChangesMeta, ChangesQuery, Related, RelatedQuery,
};
use super::query::{
    ChangesStart, decode_changes_cursor, decode_cursor, encode_changes_cursor, encode_cursor, keyset_key, parse_fields,
    parse_sort, project,
};
use super::repo::{self, ArticleFilter, Keyset, Search, Slice, SortKey, StatusFilter, Visibility};
use crate::auth::{AuthUser, MaybeUser, Role};
use crate::changes::ResourceType;
use crate::db::now;
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::http::parse_instant;
use crate::http::{ApiQuery, ListResponse, Paging, list_response_with_cursor};
use crate::search::{self, Kind};
use crate::sites::model::SiteRef;
use crate::state::AppState;
use crate::text::slugify;
use crate::{categories, changes, sites};

/// A time from a request, to the microsecond as stored.
pub(super) fn stored(t: chrono::DateTime<Utc>) -> NaiveDateTime {
    use chrono::SubsecRound;
    t.naive_utc().trunc_subsecs(6)
}

/// The JSON of an article as answered, with `fields` applied: the bytes its ETag is computed from.
pub(super) fn article_json(article: &Article, fields: Option<&[String]>) -> Result<Value, ApiError> {
    Ok(project(serde_json::to_value(article).map_err(ApiError::internal)?, fields))
}

/// Editors and admins see every status; everyone else sees what is published and due.
fn staff(user: &Option<AuthUser>) -> Option<&AuthUser> {
    user.as_ref().filter(|u| matches!(u.role, Role::Admin | Role::Editor))
}

fn visibility_for(user: &Option<AuthUser>, status: Option<StatusFilter>) -> Visibility {
    match staff(user) {
        Some(u) => Visibility::Staff { status, own_site: u.site_id, now: now() },
        None => Visibility::Public { now: now() },
    }
}

fn parse_status(status: Option<&str>, user: &Option<AuthUser>) -> Result<Option<StatusFilter>, ApiError> {
    let Some(status) = status else { return Ok(None) };
    match user {
        None => return Err(ApiError::Unauthorized("Filtering by `status` is for staff: send an access token.".into())),
        Some(u) => u.require(&[Role::Editor])?,
    }
    match status {
        "draft" => Ok(Some(StatusFilter::Draft)),
        "published" => Ok(Some(StatusFilter::Published)),
        "scheduled" => Ok(Some(StatusFilter::Scheduled)),
        "archived" => Ok(Some(StatusFilter::Archived)),
        other => Err(ApiError::BadRequestFields {
            detail: format!("`{other}` is not a status; use draft, published, scheduled or archived."),
            errors: vec![FieldError::new("status", "invalid_value", "must be draft, published, scheduled or archived")],
        }),
    }
}

/// List articles, newest first: filters, search, sorting, offset or keyset paging, field selection.
#[utoipa::path(
    tag = "articles",
    params(ArticleListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of articles; `body` only when `fields` asks for it", body = ListResponse<Article>,
            headers(("Link" = String, description = "RFC 8288 links: first, prev, next, last (by cursor: first and next)"),
                    ("X-Total-Count" = i64, description = "Articles matching the filters, over all pages"))),
        (status = 401, description = "`status` without a token, or an invalid token"),
        (status = 403, description = "`status` with a role that may not see unpublished articles"),
    )
)]
#[get("/articles")]
pub async fn list_articles(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: MaybeUser,
    query: ApiQuery<ArticleListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (user, query) = (user.0, query.0);
    let paging = Paging::new(query.page, query.per_page)?;
    let sort = parse_sort(query.sort.as_deref())?;
    let fields = parse_fields(query.fields.as_deref())?;
    let status = parse_status(query.status.as_deref(), &user)?;
    let zone = state.config.time_zone();
    let from = query.from.as_deref().map(|v| parse_instant("from", v, zone, false)).transpose()?;
    let to = query.to.as_deref().map(|v| parse_instant("to", v, zone, true)).transpose()?;
    let search = query.q.as_deref().and_then(Search::parse);
    let cursor_key = keyset_key(&sort, search.is_some());
    let keyset = match &query.cursor {
        Some(_) if query.page.is_some() => {
            return Err(ApiError::BadRequest("Use either `page` or `cursor`, not both.".into()));
        }
        Some(cursor) => Some(decode_cursor(cursor, cursor_key)?),
        None => None,
    };
    let visibility = visibility_for(&user, status);
    let is_public = matches!(visibility, Visibility::Public { .. });
    let with_body = fields.as_ref().is_some_and(|f| f.iter().any(|f| f == "body"));
    let is_staff = staff(&user).is_some();
    // Words to find in what the public sees, in relevance or newest-first order, are the search
    // engine's (the database searches for staff, and for a tag or another order).
    let engine = match (&state.search, &query.q, &visibility, sort.as_slice()) {
        (
            Some(index),
            Some(q),
            Visibility::Public { .. },
            [] | [SortKey { field: repo::SortField::PublishedAt, desc: true }],
        ) if query.tag.is_none() && keyset.is_none() => Some((index.clone(), q.clone(), !sort.is_empty())),
        _ => None,
    };
    let budget = state.config.search_budget;
    let searches = engine.is_some();
    let work = move |conn: &mut DbConn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let category_ids = match &query.category {
            Some(key) => Some(category_with_descendants(conn, key, site_ids.as_deref())?),
            None => None,
        };
        let next_due = if is_public { repo::next_scheduled(conn, now())? } else { None };
        if let Some((index, q, by_date)) = engine {
            let lookup = search::Lookup {
                q: &q,
                kind: Kind::Article,
                site_ids: site_ids.clone(),
                category_ids: category_ids.clone(),
                from,
                to,
                by_date,
                paging,
            };
            if let Some(found) = search::lookup(&index, lookup, budget) {
                let (ids, total, at) = found.map_err(ApiError::internal)?;
                let mut rows = repo::public_rows(conn, &ids, now())?;
                rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
                let items = repo::to_articles(conn, rows, with_body, is_staff)?;
                return Ok((items, total as i64, None, next_due, Some(at)));
            }
        }
        let filter = ArticleFilter {
            site_ids,
            category_ids,
            tag: query.tag.as_deref().map(|t| slugify(t, 60)),
            from,
            to,
            search,
        };
        let offset = if keyset.is_some() { 0 } else { paging.offset() };
        let (mut rows, total) = repo::list(
            conn,
            &filter,
            &visibility,
            &sort,
            Slice { keyset: keyset.as_ref(), offset, limit: paging.limit() + 1, with_body },
        )?;
        let has_more = rows.len() as i64 > paging.limit();
        rows.truncate(paging.limit() as usize);
        let next_keyset = match (cursor_key, rows.last()) {
            (Some(key), Some(last)) if has_more => Some(Keyset { key, value: key_value(last, key.field), id: last.id }),
            _ => None,
        };
        Ok((repo::to_articles(conn, rows, with_body, is_staff)?, total, next_keyset, next_due, None))
    };
    // A search may spend its CPU budget: not on the HTTP worker, which serves other requests.
    let (items, total, next_keyset, next_due, from_index) = match searches {
        true => db::run(&state.db, work).await?,
        false => db::read(&state.db, work).await?,
    };
    let data: Vec<Value> =
        items.into_iter().map(|a| project(serde_json::to_value(a).unwrap_or(Value::Null), fields.as_deref())).collect();
    let mut res = list_response_with_cursor(&req, data, total, paging, next_keyset.as_ref().map(encode_cursor));
    search::mark_drawn_from_index(&mut res, from_index);
    if is_public && user.is_none() {
        // A scheduled article must appear on time: no cache may keep this list past its publication.
        let max_age = next_due.map_or(60, |due| (due - now()).num_seconds().clamp(0, 60));
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_str(&format!("public, max-age={max_age}"))
                .unwrap_or(header::HeaderValue::from_static("no-cache")),
        );
    }
    Ok(res)
}

fn key_value(row: &ArticleRow, field: repo::SortField) -> Option<NaiveDateTime> {
    match field {
        repo::SortField::PublishedAt => row.published_at,
        repo::SortField::CreatedAt => Some(row.created_at),
        repo::SortField::UpdatedAt => Some(row.updated_at),
        repo::SortField::Title => None,
    }
}

/// What changed in the public articles since the last pull, deletions included: the feed the
/// province's portal syncs from.
///
/// Entries come oldest first. An `upsert` carries the article as the public sees it; a `delete`
/// says the article is no longer public (deleted, unpublished or archived) and carries only its id.
/// A scheduled article enters the feed when it becomes public.
#[utoipa::path(
    tag = "articles",
    params(ChangesQuery),
    responses((status = 200, description = "A page of changes, and the cursor to resume from", body = ArticleChanges))
)]
#[get("/articles/changes")]
pub async fn article_changes(
    state: web::Data<AppState>,
    query: ApiQuery<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let paging = Paging::new(None, query.per_page)?;
    let start = match (&query.cursor, query.since) {
        (Some(_), Some(_)) => return Err(ApiError::BadRequest("Use either `since` or `cursor`, not both.".into())),
        (Some(cursor), None) => decode_changes_cursor(cursor)?,
        (None, Some(since)) => ChangesStart::Time(stored(since)),
        (None, None) => ChangesStart::Log { tick: 0, id: 0 },
    };
    let (data, next) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let start = match start {
            ChangesStart::Log { tick, id } => changes::Position { tick, id },
            ChangesStart::Time(at) => changes::position_at(conn, at)?,
        };
        let types = [ResourceType::Article];
        let mut rows = changes::public_after(conn, start, site_ids.as_deref(), &types, paging.limit() + 1)?;
        let has_more = rows.len() as i64 > paging.limit();
        rows.truncate(paging.limit() as usize);
        let next = rows.last().map_or(start, |r| r.position());
        let ids: Vec<i64> = rows.iter().filter(|r| r.action != "delete").map(|r| r.resource_id).collect();
        let mut articles = public_articles(conn, &ids)?;
        let sites = sites::refs_by_id(conn, rows.iter().filter_map(|r| r.site_id).collect())?;
        let mut data = Vec::with_capacity(rows.len());
        for row in rows {
            // The article as it is now: an earlier entry of it in this page carries the same.
            let article = articles.get(&row.resource_id).cloned();
            let change = if article.is_some() { ChangeKind::Upsert } else { ChangeKind::Delete };
            let site_id = row.site_id.unwrap_or_default();
            let site = sites.get(&site_id).cloned().unwrap_or(SiteRef {
                id: site_id,
                code: String::new(),
                name: String::new(),
            });
            data.push(ArticleChange {
                id: row.resource_id,
                site,
                change,
                changed_at: row.changed_at.and_utc(),
                article,
            });
        }
        articles.clear();
        Ok((data, (next, has_more)))
    })
    .await?;
    let (next, has_more) = next;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-cache")).json(ArticleChanges {
        data,
        meta: ChangesMeta {
            per_page: paging.per_page,
            next_cursor: encode_changes_cursor(next.tick, next.id),
            has_more,
        },
    }))
}

/// Of these articles, those the public sees now, as the public sees them.
fn public_articles(conn: &mut DbConn, ids: &[i64]) -> Result<std::collections::HashMap<i64, Article>, ApiError> {
    let rows = repo::public_rows(conn, ids, now())?;
    Ok(repo::to_articles(conn, rows, true, false)?.into_iter().map(|a| (a.id, a)).collect())
}

/// The ids of the category named by `key` (slug or id) in the selected sites, and of every category below.
pub fn category_with_descendants(conn: &mut DbConn, key: &str, site_ids: Option<&[i64]>) -> Result<Vec<i64>, ApiError> {
    category_subtree(conn, key, site_ids).map(|(ids, _)| ids)
}

/// The ids of the category named by `key` (slug or id) and of every category below it, and its name.
pub(super) fn category_subtree(
    conn: &mut DbConn,
    key: &str,
    site_ids: Option<&[i64]>,
) -> Result<(Vec<i64>, String), ApiError> {
    let all = categories::list_all(conn, site_ids)?;
    let roots: Vec<(i64, String)> = match key.parse::<i64>() {
        Ok(id) => all.iter().filter(|c| c.id == id).map(|c| (c.id, c.name.clone())).collect(),
        Err(_) => all.iter().filter(|c| c.slug == key).map(|c| (c.id, c.name.clone())).collect(),
    };
    let Some((_, name)) = roots.first().cloned() else {
        return Err(ApiError::BadRequestFields {
            detail: format!("There is no category `{key}`."),
            errors: vec![FieldError::new("category", "not_found", "no such category")],
        });
    };
    let ids: Vec<i64> = roots.into_iter().map(|(id, _)| id).collect();
    Ok((categories::with_descendants(&all, &ids), name))
}

/// What a key names: an article, or a former slug of one.
enum Found {
    Article(Box<ArticleRow>),
    MovedTo(String),
}

fn find_by_key(conn: &mut DbConn, key: &str) -> Result<Found, ApiError> {
    if let Ok(id) = key.parse::<i64>() {
        return repo::find_row(conn, id)?
            .map(|row| Found::Article(Box::new(row)))
            .ok_or_else(|| ApiError::not_found("article"));
    }
    if let Some(row) = repo::find_row_by_slug(conn, key)? {
        return Ok(Found::Article(Box::new(row)));
    }
    match repo::current_slug_for_old(conn, key)? {
        Some((_, slug)) => Ok(Found::MovedTo(slug)),
        None => Err(ApiError::not_found("article")),
    }
}

/// Whether the caller may see the article: published and due for everyone; any status for
/// editors and admins of its site.
fn may_see(row: &ArticleRow, user: &Option<AuthUser>) -> bool {
    let public = row.status() == ArticleStatus::Published && row.published_at.is_some_and(|t| t <= now());
    public || staff(user).is_some_and(|u| u.covers_site(Some(row.site_id)))
}

fn moved(req: &HttpRequest, slug: &str, suffix: &str) -> HttpResponse {
    let query = if req.query_string().is_empty() { String::new() } else { format!("?{}", req.query_string()) };
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, format!("/api/v1/articles/{slug}{suffix}{query}")))
        .finish()
}

/// One article, by slug or id. A former slug answers 301 to the current one.
#[utoipa::path(
    tag = "articles",
    params(("key" = String, Path, description = "The article's slug (current or former), or its numeric id"), ArticleGetQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The article; staff also get `created_by` and `updated_by`", body = Article,
            headers(("ETag" = String, description = "Send it back in `If-Match` to update safely"),
                    ("Last-Modified" = String, description = "When the article last changed"))),
        (status = 301, description = "A former slug: `Location` names the current one",
            headers(("Location" = String, description = "The article's current URL"))),
        (status = 401, description = "An invalid token"),
        (status = 404, description = "No such article, or one the caller may not see (a draft, a scheduled or deleted one)"),
    )
)]
#[get("/articles/{key}")]
pub async fn get_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: MaybeUser,
    key: web::Path<String>,
    query: ApiQuery<ArticleGetQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = user.0;
    let fields = parse_fields(query.0.fields.as_deref())?;
    let key = key.into_inner();
    let is_staff = staff(&user).is_some();
    let found = db::read(&state.db, move |conn| match find_by_key(conn, &key)? {
        Found::MovedTo(slug) => Ok(Err(slug)),
        Found::Article(row) if may_see(&row, &user) => Ok(Ok(repo::to_articles(conn, vec![*row], true, is_staff)?)),
        Found::Article(_) => Err(ApiError::not_found("article")),
    })
    .await?;
    let article = match found {
        Err(slug) => return Ok(moved(&req, &slug, "")),
        Ok(mut articles) => articles.pop().ok_or_else(|| ApiError::not_found("article"))?,
    };
    let last_modified = header::HttpDate::from(std::time::SystemTime::from(article.updated_at));
    let body = article_json(&article, fields.as_deref())?;
    Ok(HttpResponse::Ok().insert_header((header::LAST_MODIFIED, last_modified.to_string())).json(body))
}

/// Loads an article that the caller may see, for the neighbour endpoints.
async fn visible_article(
    state: &AppState,
    user: Option<AuthUser>,
    key: String,
) -> Result<Result<ArticleRow, String>, ApiError> {
    db::run(&state.db, move |conn| match find_by_key(conn, &key)? {
        Found::MovedTo(slug) => Ok(Err(slug)),
        Found::Article(row) if may_see(&row, &user) => Ok(Ok(*row)),
        Found::Article(_) => Err(ApiError::not_found("article")),
    })
    .await
}

/// The previous and next published articles in the same category.
#[utoipa::path(
    tag = "articles",
    params(("key" = String, Path, description = "The article's slug or id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The neighbours, by publication time", body = Adjacent),
        (status = 301, description = "A former slug", headers(("Location" = String, description = "The current URL"))),
        (status = 401, description = "An invalid token"),
        (status = 404, description = "No such article"),
    )
)]
#[get("/articles/{key}/adjacent")]
pub async fn adjacent_articles(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: MaybeUser,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = match visible_article(&state, user.0, key.into_inner()).await? {
        Err(slug) => return Ok(moved(&req, &slug, "/adjacent")),
        Ok(row) => row,
    };
    let (previous, next) = db::run(&state.db, move |conn| {
        let (previous, next) = repo::adjacent(conn, &row, now())?;
        let mut summarise = |r: Option<ArticleRow>| -> Result<Option<ArticleSummary>, ApiError> {
            Ok(repo::to_articles(conn, r.into_iter().collect(), false, false)?.first().map(ArticleSummary::from))
        };
        Ok((summarise(previous)?, summarise(next)?))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Adjacent { previous, next }))
}

/// Published articles that share tags with this one, most shared tags first.
#[utoipa::path(
    tag = "articles",
    params(("key" = String, Path, description = "The article's slug or id"), RelatedQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Related articles", body = Related),
        (status = 301, description = "A former slug", headers(("Location" = String, description = "The current URL"))),
        (status = 401, description = "An invalid token"),
        (status = 404, description = "No such article"),
    )
)]
#[get("/articles/{key}/related")]
pub async fn related_articles(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: MaybeUser,
    key: web::Path<String>,
    query: ApiQuery<RelatedQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.0.limit.unwrap_or(5);
    if !(1..=20).contains(&limit) {
        return Err(ApiError::BadRequestFields {
            detail: "`limit` must be between 1 and 20.".into(),
            errors: vec![FieldError::new("limit", "invalid_value", "must be between 1 and 20")],
        });
    }
    let row = match visible_article(&state, user.0, key.into_inner()).await? {
        Err(slug) => return Ok(moved(&req, &slug, "/related")),
        Ok(row) => row,
    };
    let data = db::run(&state.db, move |conn| {
        let rows = repo::related(conn, &row, now(), i64::from(limit))?;
        Ok(repo::to_articles(conn, rows, false, false)?.iter().map(ArticleSummary::from).collect())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Related { data }))
}

/// Of these articles, those the public sees now, as the public sees them (the change feed's
/// payloads).
pub fn public_by_ids(conn: &mut DbConn, ids: &[i64]) -> Result<std::collections::HashMap<i64, Value>, ApiError> {
    public_articles(conn, ids)?
        .into_iter()
        .map(|(id, a)| Ok((id, serde_json::to_value(&a).map_err(ApiError::internal)?)))
        .collect()
}

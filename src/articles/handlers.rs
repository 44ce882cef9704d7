//! Article endpoints: public reads (staff see every status with a token), editor writes and
//! lifecycle actions.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{NaiveDateTime, Utc};
use serde_json::Value;

use super::model::{
    Adjacent, Article, ArticleChange, ArticleChanges, ArticleGetQuery, ArticleListQuery, ArticleRow, ArticleStatus,
    ArticleSummary, ChangeKind, ChangesMeta, ChangesQuery, CreateArticle, PublishArticle, Related, RelatedQuery,
    UpdateArticle, clean_content, clean_tags, validate_body, validate_cover_url, validate_optional, validate_slug,
    validate_title,
};
use super::query::{
    decode_changes_cursor, decode_cursor, encode_changes_cursor, encode_cursor, keyset_key, parse_fields, parse_sort,
    project,
};
use super::repo::{self, ArticleFilter, Keyset, Search, Slice, StatusFilter, Visibility};
use crate::auth::{AuthUser, MaybeUser, Role};
use crate::db::now;
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError};
use crate::http::parse_instant;
use crate::http::{ApiJson, ApiQuery, ListResponse, Paging, list_response_with_cursor, strong_etag};
use crate::state::AppState;
use crate::text::slugify;
use crate::{categories, sites};

/// A time from a request, to the microsecond as stored.
fn stored(t: chrono::DateTime<Utc>) -> NaiveDateTime {
    use chrono::SubsecRound;
    t.naive_utc().trunc_subsecs(6)
}

/// The JSON of an article as answered, with `fields` applied: the bytes its ETag is computed from.
fn article_json(article: &Article, fields: Option<&[String]>) -> Result<Value, ApiError> {
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
    let (items, total, next_keyset, next_due) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let category_ids = match &query.category {
            Some(key) => Some(category_with_descendants(conn, key, site_ids.as_deref())?),
            None => None,
        };
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
        let next_due = if is_public { repo::next_scheduled(conn, now())? } else { None };
        Ok((repo::to_articles(conn, rows, with_body, is_staff)?, total, next_keyset, next_due))
    })
    .await?;
    let data: Vec<Value> =
        items.into_iter().map(|a| project(serde_json::to_value(a).unwrap_or(Value::Null), fields.as_deref())).collect();
    let mut res = list_response_with_cursor(&req, data, total, paging, next_keyset.as_ref().map(encode_cursor));
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
        (None, Some(since)) => (stored(since), i64::MAX),
        (None, None) => (chrono::DateTime::UNIX_EPOCH.naive_utc(), 0),
    };
    let (data, has_more) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let mut rows = repo::changes(conn, site_ids.as_deref(), start, now(), paging.limit() + 1)?;
        let has_more = rows.len() as i64 > paging.limit();
        rows.truncate(paging.limit() as usize);
        let sites = sites::refs_by_id(conn, rows.iter().map(|r| r.site_id).collect())?;
        let positions: Vec<(i64, i64, chrono::DateTime<Utc>)> =
            rows.iter().map(|r| (r.id, r.site_id, r.changed_at.and_utc())).collect();
        let public = rows.into_iter().filter(|r| r.deleted_at.is_none() && may_see(r, &None)).collect();
        let mut articles: std::collections::HashMap<i64, Article> =
            repo::to_articles(conn, public, true, false)?.into_iter().map(|a| (a.id, a)).collect();
        let mut data = Vec::with_capacity(positions.len());
        for (id, site_id, changed_at) in positions {
            let article = articles.remove(&id);
            let change = if article.is_some() { ChangeKind::Upsert } else { ChangeKind::Delete };
            let site = sites.get(&site_id).cloned().ok_or_else(|| ApiError::internal("article without a site"))?;
            data.push(ArticleChange { id, site, change, changed_at, article });
        }
        Ok((data, has_more))
    })
    .await?;
    let next_cursor = match data.last() {
        Some(last) => encode_changes_cursor(stored(last.changed_at), last.id),
        None => encode_changes_cursor(start.0, start.1),
    };
    Ok(HttpResponse::Ok()
        .json(ArticleChanges { data, meta: ChangesMeta { per_page: paging.per_page, next_cursor, has_more } }))
}

/// The ids of the category named by `key` (slug or id) in the selected sites, and of every category below.
fn category_with_descendants(conn: &mut DbConn, key: &str, site_ids: Option<&[i64]>) -> Result<Vec<i64>, ApiError> {
    let all = categories::list_all(conn, site_ids)?;
    let roots: Vec<i64> = match key.parse::<i64>() {
        Ok(id) => all.iter().filter(|c| c.id == id).map(|c| c.id).collect(),
        Err(_) => all.iter().filter(|c| c.slug == key).map(|c| c.id).collect(),
    };
    if roots.is_empty() {
        return Err(ApiError::BadRequestFields {
            detail: format!("There is no category `{key}`."),
            errors: vec![FieldError::new("category", "not_found", "no such category")],
        });
    }
    Ok(categories::with_descendants(&all, &roots))
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
    let found = db::run(&state.db, move |conn| match find_by_key(conn, &key)? {
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

/// The staff representation of an article, as GET answers it to editors.
fn staff_view(conn: &mut DbConn, id: i64) -> Result<Article, ApiError> {
    let row = repo::find_row(conn, id)?.ok_or_else(|| ApiError::not_found("article"))?;
    repo::to_articles(conn, vec![row], true, true)?.pop().ok_or_else(|| ApiError::not_found("article"))
}

/// Create an article (editors, admins; a site-bound user only in its site).
#[utoipa::path(
    tag = "articles",
    request_body = CreateArticle,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it", body = Article,
            headers(("Location" = String, description = "URL of the new article"))),
        (status = 409, description = "The slug is taken (now or formerly) by another article"),
    )
)]
#[post("/articles")]
pub async fn create_article(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateArticle>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let input = body.0;
    let mut errors = vec![];
    validate_title(&input.title, &mut errors);
    validate_body(&input.body, &mut errors);
    if let Some(slug) = &input.slug {
        validate_slug(slug, &mut errors);
    }
    validate_optional("summary", input.summary.as_deref(), super::model::MAX_SUMMARY_CHARS, &mut errors);
    validate_optional("author", input.author.as_deref(), 200, &mut errors);
    validate_optional("cover_alt", input.cover_alt.as_deref(), 500, &mut errors);
    validate_cover_url(input.cover_url.as_deref(), &mut errors);
    let tags = clean_tags(input.tags.as_deref().unwrap_or_default(), &mut errors);
    let status = input.status.unwrap_or(ArticleStatus::Draft);
    if status == ArticleStatus::Archived {
        errors.push(FieldError::new("status", "invalid_value", "a new article is draft or published"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let article = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let category = categories::find_row(c, input.category_id)?
                .ok_or_else(|| ApiError::invalid("category_id", "not_found", "no category has this id"))?;
            user.require_site(Some(category.site_id))?;
            let tag_names: Vec<String> = tags.iter().map(|(_, n)| n.clone()).collect();
            let content = clean_content(&input.body, input.summary.as_deref(), &tag_names);
            let now = now();
            let published_at = match status {
                ArticleStatus::Published => Some(input.published_at.map_or(now, stored)),
                _ => input.published_at.map(stored),
            };
            // A generated slug that a concurrent create took first is generated again.
            let attempts = if input.slug.is_some() { 1 } else { 5 };
            let id = db::retry_unique(c, attempts, |c| {
                let slug = match &input.slug {
                    Some(slug) if repo::slug_taken(c, slug, None)? => {
                        return Err(ApiError::NotUnique { field: "slug".into() });
                    }
                    Some(slug) => slug.clone(),
                    None => {
                        let base = slugify(&input.title, 120);
                        let base = if base.is_empty() { "bai-viet" } else { &base };
                        db::lock_name(c, &format!("articles.slug:{base}"))?;
                        repo::unique_slug(c, base, None)?
                    }
                };
                let new = repo::NewArticle {
                    site_id: category.site_id,
                    category_id: category.id,
                    title: input.title.trim(),
                    slug: &slug,
                    content: &content,
                    cover_url: input.cover_url.as_deref(),
                    cover_alt: input.cover_alt.as_deref(),
                    author: input.author.as_deref().unwrap_or("").trim(),
                    status,
                    published_at,
                    user_id: Some(user.id),
                    now,
                };
                repo::insert_article(c, &new).map_err(crate::error::unique_as("slug"))
            })?;
            repo::set_tags(c, id, &tags)?;
            staff_view(c, id)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/articles/{}", article.slug)))
        .json(article))
}

/// Checks `If-Match` against the current staff representation: 412 when it changed meanwhile.
fn check_if_match(conn: &mut DbConn, id: i64, if_match: Option<&str>) -> Result<(), ApiError> {
    let Some(if_match) = if_match else { return Ok(()) };
    let current = staff_view(conn, id)?;
    let etag = strong_etag(&serde_json::to_vec(&article_json(&current, None)?).map_err(ApiError::internal)?);
    if crate::http::if_match_allows(if_match, etag.to_str().unwrap_or("")) {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(
            "The article changed since you read it (its ETag differs from If-Match); read it again and retry.".into(),
        ))
    }
}

fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers().get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Loads an article for a write by a user who may change it.
fn writable(conn: &mut DbConn, user: &AuthUser, id: i64) -> Result<ArticleRow, ApiError> {
    db::lock_row(conn, "articles", id)?;
    let row = repo::find_row(conn, id)?.ok_or_else(|| ApiError::not_found("article"))?;
    user.require_site(Some(row.site_id))?;
    Ok(row)
}

/// Change an article's fields (editors, admins). Send `If-Match` to avoid overwriting someone else's change.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = i64, Path, description = "The article's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on; 412 if the article changed since"),
    ),
    request_body = UpdateArticle,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated article", body = Article),
        (status = 404, description = "No such article"),
        (status = 409, description = "The slug is taken by another article"),
        (status = 412, description = "The article changed since the ETag in `If-Match`"),
    )
)]
#[patch("/articles/{id}")]
pub async fn update_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateArticle>,
) -> Result<web::Json<Article>, ApiError> {
    user.require(&[Role::Editor])?;
    let patch = body.0;
    let mut errors = vec![];
    if let Some(title) = &patch.title {
        validate_title(title, &mut errors);
    }
    if let Some(body) = &patch.body {
        validate_body(body, &mut errors);
    }
    if let Some(slug) = &patch.slug {
        validate_slug(slug, &mut errors);
    }
    validate_optional(
        "summary",
        patch.summary.clone().flatten().as_deref(),
        super::model::MAX_SUMMARY_CHARS,
        &mut errors,
    );
    validate_optional("author", patch.author.as_deref(), 200, &mut errors);
    validate_optional("cover_alt", patch.cover_alt.clone().flatten().as_deref(), 500, &mut errors);
    validate_cover_url(patch.cover_url.clone().flatten().as_deref(), &mut errors);
    let tags = patch.tags.as_ref().map(|t| clean_tags(t, &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let id = id.into_inner();
    let if_match = if_match(&req);
    let article = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = writable(c, &user, id)?;
            check_if_match(c, id, if_match.as_deref())?;
            let category_id = match patch.category_id {
                Some(category_id) if category_id != row.category_id => {
                    let category = categories::find_row(c, category_id)?
                        .ok_or_else(|| ApiError::invalid("category_id", "not_found", "no category has this id"))?;
                    if category.site_id != row.site_id {
                        return Err(ApiError::invalid(
                            "category_id",
                            "invalid_value",
                            "must be a category of the article's site",
                        ));
                    }
                    category.id
                }
                _ => row.category_id,
            };
            if let Some(slug) = patch.slug.as_ref().filter(|s| **s != row.slug) {
                if repo::slug_taken(c, slug, Some(id))? {
                    return Err(ApiError::NotUnique { field: "slug".into() });
                }
                repo::change_slug(c, id, &row.slug, slug)?;
            }
            let title = patch.title.as_deref().map(str::trim).unwrap_or(&row.title).to_owned();
            let tag_names: Vec<String> = match &tags {
                Some(tags) => {
                    repo::set_tags(c, id, tags)?;
                    tags.iter().map(|(_, n)| n.clone()).collect()
                }
                None => repo::tag_names(c, id)?,
            };
            let summary = match &patch.summary {
                Some(Some(s)) => Some(s.clone()),
                Some(None) => None,
                None if row.summary_auto => None,
                None => Some(row.summary.clone()),
            };
            // The stored body is already clean; cleaning it again changes nothing.
            let content = clean_content(patch.body.as_deref().unwrap_or(&row.body), summary.as_deref(), &tag_names);
            let published_at = match patch.published_at {
                Some(t) => t.map(stored),
                None => row.published_at,
            };
            let now = now();
            let change = repo::ArticleChange {
                category_id,
                title: &title,
                slug: patch.slug.as_deref().unwrap_or(&row.slug),
                content: &content,
                cover_url: patch.cover_url.clone().unwrap_or(row.cover_url.clone()),
                cover_alt: patch.cover_alt.clone().unwrap_or(row.cover_alt.clone()),
                author: patch.author.as_deref().map(str::trim).unwrap_or(&row.author),
                published_at,
                user_id: user.id,
                now,
            };
            repo::update_article(c, id, &change)?;
            staff_view(c, id)
        })
    })
    .await?;
    Ok(web::Json(article))
}

/// Moves an article to `to`, if the move is allowed from its status; 409 otherwise.
async fn transition(
    state: &AppState,
    user: AuthUser,
    id: i64,
    to: ArticleStatus,
    published_at: Option<NaiveDateTime>,
) -> Result<Article, ApiError> {
    user.require(&[Role::Editor])?;
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = writable(c, &user, id)?;
            if !row.status().may_become(to) {
                let allowed: Vec<&str> = to.reachable_from().iter().map(|s| s.as_str()).collect();
                return Err(ApiError::Conflict(format!(
                    "An article that is {} cannot become {}; allowed from: {}.",
                    row.status,
                    to.as_str(),
                    allowed.join(", ")
                )));
            }
            let now = now();
            let published_at = match to {
                ArticleStatus::Published => Some(published_at.or(row.published_at.filter(|t| *t > now)).unwrap_or(now)),
                _ => row.published_at,
            };
            repo::set_status(c, id, to, published_at, user.id, now)?;
            staff_view(c, id)
        })
    })
    .await
}

/// Publish a draft or archived article, now or at `published_at` (a future time schedules it).
#[utoipa::path(
    tag = "articles",
    params(("id" = i64, Path, description = "The article's id")),
    request_body(content = Option<PublishArticle>, description = "Optional: when it becomes public"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The published (or scheduled) article", body = Article),
        (status = 404, description = "No such article"),
        (status = 409, description = "Already published"),
    )
)]
#[post("/articles/{id}/publish")]
pub async fn publish_article(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: web::Bytes,
    req: HttpRequest,
) -> Result<web::Json<Article>, ApiError> {
    let options: PublishArticle = crate::http::optional_json(&req, &body)?;
    let at = options.published_at.map(stored);
    transition(&state, user, id.into_inner(), ArticleStatus::Published, at).await.map(web::Json)
}

/// Withdraw a published article back to draft.
#[utoipa::path(
    tag = "articles",
    params(("id" = i64, Path, description = "The article's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The article, now a draft", body = Article),
        (status = 404, description = "No such article"),
        (status = 409, description = "Not published"),
    )
)]
#[post("/articles/{id}/unpublish")]
pub async fn unpublish_article(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Article>, ApiError> {
    transition(&state, user, id.into_inner(), ArticleStatus::Draft, None).await.map(web::Json)
}

/// Archive an article: withdrawn from the public, kept for the record.
#[utoipa::path(
    tag = "articles",
    params(("id" = i64, Path, description = "The article's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The archived article", body = Article),
        (status = 404, description = "No such article"),
        (status = 409, description = "Already archived"),
    )
)]
#[post("/articles/{id}/archive")]
pub async fn archive_article(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Article>, ApiError> {
    transition(&state, user, id.into_inner(), ArticleStatus::Archived, None).await.map(web::Json)
}

/// Delete an article. It leaves a tombstone (`deleted_at`) so that syncing clients learn of it.
#[utoipa::path(
    tag = "articles",
    params(("id" = i64, Path, description = "The article's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such article"),
    )
)]
#[delete("/articles/{id}")]
pub async fn delete_article(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let id = id.into_inner();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            writable(c, &user, id)?;
            let now = now();
            repo::soft_delete(c, id, user.id, now)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

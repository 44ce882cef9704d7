//! Article writes (editors, admins): create, edit (with `If-Match`), the lifecycle steps, deletion.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use chrono::NaiveDateTime;

use super::images;
use super::model::{
    Article, ArticleRow, ArticleStatus, CleanContent, CreateArticle, PublishArticle, UpdateArticle, clean_content,
    clean_tags, validate_body, validate_cover_url, validate_optional, validate_slug, validate_title,
};
use super::reads::{article_json, stored};
use super::repo;
use crate::auth::{AuthUser, Role};
use crate::categories;
use crate::db::now;
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError};
use crate::http::{ApiJson, strong_etag};
use crate::state::AppState;
use crate::text::slugify;

/// The staff representation of an article, as GET answers it to editors.
///
/// Writes read it after their commit, not inside the transaction: the change clock (PostgreSQL)
/// and the writer's turn (SQLite) are held only while writing, and other writers wait less. The
/// answer is the article as it stands after the change (a change committed just after it shows
/// too, with its ETag, as a GET would show it).
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
    if input.cover_url.is_some() && input.cover_media_id.is_some() {
        errors.push(FieldError::new("cover_media_id", "invalid_value", "give either cover_url or cover_media_id"));
    }
    let tags = clean_tags(input.tags.as_deref().unwrap_or_default(), &mut errors);
    images::validate_gallery(&input.gallery_media_ids, &mut errors);
    let status = input.status.unwrap_or(ArticleStatus::Draft);
    if status == ArticleStatus::Archived {
        errors.push(FieldError::new("status", "invalid_value", "a new article is draft or published"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Sanitising is the costly part of a create and needs no database: done before the write.
    let tag_names: Vec<String> = tags.iter().map(|(_, n)| n.clone()).collect();
    let content = clean_content(&input.body, input.summary.as_deref(), &tag_names);
    let inline = crate::text::media_ids_in(&content.body);
    let article = db::run(&state.db, move |conn| {
        let id = write_transaction(conn, |c| {
            let category = categories::find_row(c, input.category_id)?
                .ok_or_else(|| ApiError::invalid("category_id", "not_found", "no category has this id"))?;
            user.require_site(Some(category.site_id))?;
            let public = status == ArticleStatus::Published;
            images::check_images(c, input.cover_media_id, &input.gallery_media_ids, category.site_id, public)?;
            images::check_inline_media(c, &inline, category.site_id)?;
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
                    cover_media_id: input.cover_media_id,
                    gallery_media_ids: &input.gallery_media_ids,
                    author: input.author.as_deref().unwrap_or("").trim(),
                    status,
                    published_at,
                    user_id: Some(user.id),
                    now,
                };
                repo::insert_article(c, &new).map_err(crate::error::unique_as("slug"))
            })?;
            repo::set_tags(c, id, &tags)?;
            crate::media::set_uses(c, "article", id, "cover", input.cover_media_id.as_slice())?;
            crate::media::set_uses(c, "article", id, "inline", &inline)?;
            crate::media::set_uses(c, "article", id, "gallery", &input.gallery_media_ids)?;
            Ok::<_, ApiError>(id)
        })?;
        staff_view(conn, id)
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
        ("key" = i64, Path, description = "The article's id"),
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
#[patch("/articles/{key}")]
pub async fn update_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateArticle>,
) -> Result<web::Json<Article>, ApiError> {
    user.require(&[Role::Editor])?;
    let (patch, id, if_match) = (body.0, id.into_inner(), if_match(&req));
    let article = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| change_article(c, &user, id, &patch, if_match.as_deref()))?;
        staff_view(conn, id)
    })
    .await?;
    Ok(web::Json(article))
}

/// Checks and applies a change to an article, in the caller's transaction.
fn change_article(
    c: &mut DbConn,
    user: &AuthUser,
    id: i64,
    patch: &UpdateArticle,
    if_match: Option<&str>,
) -> Result<(), ApiError> {
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
    let row = writable(c, user, id)?;
    check_if_match(c, id, if_match)?;
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
    let old_tags = repo::tag_names(c, id)?;
    let tag_names: Vec<String> = match &tags {
        Some(tags) => {
            repo::set_tags(c, id, tags)?;
            tags.iter().map(|(_, n)| n.clone()).collect()
        }
        None => old_tags.clone(),
    };
    let summary = match &patch.summary {
        Some(Some(s)) => Some(s.clone()),
        Some(None) => None,
        None if row.summary_auto => None,
        None => Some(row.summary.clone()),
    };
    // What the body, summary and tags derive is stored with them: a change that leaves all three
    // (a new title, a category, a date) keeps it, and sanitises nothing again.
    let content = if patch.body.is_none() && patch.summary.is_none() && tags.is_none() {
        CleanContent {
            summary: row.summary.clone(),
            summary_auto: row.summary_auto,
            body: row.body.clone(),
            word_count: row.word_count,
            search_body: row.search_body.clone(),
        }
    } else {
        // The stored body is already clean; cleaning it again changes nothing.
        clean_content(patch.body.as_deref().unwrap_or(&row.body), summary.as_deref(), &tag_names)
    };
    if patch.body.is_some() {
        let inline = crate::text::media_ids_in(&content.body);
        images::check_inline_media(c, &inline, row.site_id)?;
        crate::media::set_uses(c, "article", id, "inline", &inline)?;
    }
    let published_at = match patch.published_at {
        Some(t) => t.map(stored),
        None => row.published_at,
    };
    let now = now();
    let cover_media_id = patch.cover_media_id.unwrap_or(row.cover_media_id);
    let cover_url = patch.cover_url.clone().unwrap_or(row.cover_url.clone());
    if cover_media_id.is_some() && cover_url.is_some() {
        return Err(ApiError::invalid("cover_media_id", "invalid_value", "give either cover_url or cover_media_id"));
    }
    let gallery = patch.gallery_media_ids.clone().unwrap_or_else(|| row.gallery_ids());
    if patch.cover_media_id.is_some() || patch.gallery_media_ids.is_some() {
        let mut errors = Vec::new();
        images::validate_gallery(&gallery, &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let public = row.status() == ArticleStatus::Published;
        images::check_images(c, cover_media_id, &gallery, row.site_id, public)?;
        crate::media::set_uses(c, "article", id, "cover", cover_media_id.as_slice())?;
        crate::media::set_uses(c, "article", id, "gallery", &gallery)?;
    }
    let author = patch.author.as_deref().map(str::trim).unwrap_or(&row.author);
    let was_public = row.status() == ArticleStatus::Published
        && row.deleted_at.is_none()
        && row.published_at.is_some_and(|p| p <= now);
    let content_changed = title != row.title
        || content.body != row.body
        || content.summary != row.summary
        || cover_url != row.cover_url
        || cover_media_id != row.cover_media_id
        || gallery != row.gallery_ids()
        || author != row.author
        || category_id != row.category_id
        || tag_names != old_tags;
    let change = repo::ArticleChange {
        category_id,
        title: &title,
        slug: patch.slug.as_deref().unwrap_or(&row.slug),
        content: &content,
        cover_url,
        cover_alt: patch.cover_alt.clone().unwrap_or(row.cover_alt.clone()),
        cover_media_id,
        gallery_media_ids: &gallery,
        author,
        published_at,
        user_id: user.id,
        now,
        revised_at: if was_public && content_changed { Some(now) } else { row.revised_at },
    };
    repo::update_article(c, id, &change)?;
    Ok(())
}

/// Puts back a revision's content of an article (see `crate::revisions`): wording, body, cover,
/// category and tags; its address and publication stay as they are.
pub fn restore_revision(
    c: &mut DbConn,
    user: &AuthUser,
    id: i64,
    content: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    let mut content = content.clone();
    // A summary that was derived from the body is derived again.
    if content.remove("summary_auto") == Some(serde_json::Value::Bool(true)) {
        content.insert("summary".into(), serde_json::Value::Null);
    }
    change_article(c, user, id, &crate::http::from_revision(&content)?, None)
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
            if to == ArticleStatus::Published {
                images::check_images(c, row.cover_media_id, &row.gallery_ids(), row.site_id, true)?;
            }
            let now = now();
            let published_at = match to {
                ArticleStatus::Published => Some(published_at.or(row.published_at.filter(|t| *t > now)).unwrap_or(now)),
                _ => row.published_at,
            };
            repo::set_status(c, id, to, published_at, user.id, now)?;
            Ok::<_, ApiError>(())
        })?;
        staff_view(conn, id)
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
    params(("key" = i64, Path, description = "The article's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such article"),
    )
)]
#[delete("/articles/{key}")]
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

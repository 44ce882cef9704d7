//! Tags: the words articles are filed under (`dân vận`, `chuyển đổi số`), each with how many
//! public articles carry it; `GET /api/v1/articles?tag=<slug>` lists them.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::{self, TagFilter};
use crate::db::{self, now};
use crate::error::ApiError;
use crate::http::{ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::sites;
use crate::state::AppState;
use crate::text::slugify;

/// A tag and how many public articles carry it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"slug": "dan-van", "name": "dân vận", "articles": 12}))]
pub struct Tag {
    /// What filters by it: `GET /api/v1/articles?tag=dan-van`.
    #[schema(example = "dan-van")]
    pub slug: String,
    /// As editors wrote it.
    #[schema(example = "dân vận")]
    pub name: String,
    /// Public articles with this tag.
    pub articles: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TagListQuery {
    /// Only articles of these sites, by code (repeatable); all sites when absent.
    #[serde(default)]
    pub site: Vec<String>,
    /// Tags that start with this, ignoring case and diacritics (`dan` finds `dân vận`), for a
    /// search box that completes as one types.
    pub q: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `slug,name`; `slug` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

/// Tags in use on public articles, the most used first.
#[utoipa::path(
    tag = "articles",
    params(TagListQuery),
    responses((status = 200, description = "A page of tags", body = ListResponse<Tag>))
)]
#[get("/tags")]
pub async fn list_tags(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<TagListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<Tag>(query.fields.as_deref())?;
    let prefix = query.q.as_deref().map(|q| slugify(q, 60)).filter(|p| !p.is_empty());
    let (tags, total) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let filter = TagFilter { site_ids: site_ids.as_deref(), prefix: prefix.as_deref(), slug: None, now: now() };
        Ok(repo::tags(conn, &filter, paging.offset(), paging.limit())?)
    })
    .await?;
    let tags = tags.into_iter().map(|t| Tag {
        name: t.name.unwrap_or_else(|| t.slug.clone()),
        slug: t.slug,
        articles: t.articles,
    });
    Ok(list_response(&req, fields.apply(tags.collect()), total, paging))
}

/// One tag, by its slug (or as written: `dân vận` is `dan-van`), if a public article carries it.
#[utoipa::path(
    tag = "articles",
    params(("slug" = String, Path, description = "The tag's slug, or the tag as written")),
    responses(
        (status = 200, description = "The tag", body = Tag),
        (status = 404, description = "No public article carries this tag"),
    )
)]
#[get("/tags/{slug}")]
pub async fn get_tag(state: web::Data<AppState>, slug: web::Path<String>) -> Result<web::Json<Tag>, ApiError> {
    let slug = slugify(&slug.into_inner(), 60);
    let found = db::run(&state.db, move |conn| {
        let filter = TagFilter { site_ids: None, prefix: None, slug: Some(&slug), now: now() };
        let (rows, _) = repo::tags(conn, &filter, 0, 1)?;
        Ok(rows.into_iter().next())
    })
    .await?;
    let tag = found.ok_or_else(|| ApiError::not_found("tag"))?;
    Ok(web::Json(Tag { name: tag.name.unwrap_or_else(|| tag.slug.clone()), slug: tag.slug, articles: tag.articles }))
}

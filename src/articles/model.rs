//! Article rows, their API shapes and validation.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::categories::model::CategoryRef;
use crate::db::schema::articles;
use crate::error::FieldError;
use crate::sites::model::SiteRef;

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_BODY_CHARS: usize = 200_000;
pub const MAX_SUMMARY_CHARS: usize = 1_000;
pub const MAX_TAGS: usize = 20;
const DERIVED_SUMMARY_CHARS: usize = 240;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct ArticleRow {
    pub id: i64,
    pub site_id: i64,
    pub category_id: i64,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub summary_auto: bool,
    pub body: String,
    pub cover_url: Option<String>,
    pub cover_alt: Option<String>,
    pub author: String,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub word_count: i32,
    pub search_title: String,
    pub search_body: String,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub changed_at: NaiveDateTime,
    pub cover_media_id: Option<i64>,
    pub revised_at: Option<NaiveDateTime>,
    /// JSON array of media ids.
    pub gallery_media_ids: String,
}

impl ArticleRow {
    /// The media ids of its gallery, as stored (a JSON array).
    pub fn gallery_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.gallery_media_ids).unwrap_or_default()
    }

    /// A gallery as stored.
    pub fn gallery_json(ids: &[i64]) -> String {
        serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
    }
}

/// Where an article is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written; only staff see it.
    Draft,
    /// Public once `published_at` has come (a future `published_at` schedules it).
    Published,
    /// Withdrawn from the public, kept for the record.
    Archived,
}

impl ArticleRow {
    /// The status, typed; a value the database should never hold reads as a draft.
    pub fn status(&self) -> ArticleStatus {
        ArticleStatus::parse(&self.status).unwrap_or(ArticleStatus::Draft)
    }
}

impl ArticleStatus {
    /// The statuses an article may move to this one from: publish from a draft or the archive,
    /// unpublish a published one, archive a draft or a published one.
    pub fn reachable_from(self) -> &'static [ArticleStatus] {
        match self {
            Self::Published => &[Self::Draft, Self::Archived],
            Self::Draft => &[Self::Published],
            Self::Archived => &[Self::Draft, Self::Published],
        }
    }

    /// Whether an article in this status may move to `to`.
    pub fn may_become(self, to: ArticleStatus) -> bool {
        to.reachable_from().contains(&self)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            "archived" => Some(Self::Archived),
            _ => None,
        }
    }
}

/// The cover image of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Cover {
    /// An absolute http(s) URL, or a path (`/media/...`): for an image of the library, its full
    /// size in its own format.
    pub url: String,
    /// Alternative text for the image.
    pub alt: Option<String>,
    /// The library image, when the cover is one: every variant for a `srcset`, its size and
    /// placeholder colour, caption and credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<CoverMedia>,
}

/// A library image as an article shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CoverMedia {
    pub id: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// The dominant colour (`#rrggbb`), to paint while it loads.
    pub placeholder: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub variants: Vec<crate::media::model::Variant>,
}

/// A news item, report or plan of a site.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 42, "site": {"id": 1, "code": "phuong-ben-thanh", "name": "Phường Bến Thành"},
    "category": {"id": 3, "slug": "thong-tin-tuyen-truyen", "name": "Thông tin tuyên truyền"},
    "title": "Hội nghị tổng kết “Dân vận khéo” năm 2026", "slug": "hoi-nghi-tong-ket-dan-van-kheo-nam-2026",
    "summary": "Sáng 28/11, phường tổng kết phong trào thi đua “Dân vận khéo” và khen thưởng 12 tập thể, cá nhân.",
    "body": "<p>Sáng 28/11, Ủy ban nhân dân phường tổ chức hội nghị tổng kết phong trào.</p>",
    "cover": {"url": "/media/9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b7d9f0a2c4e6b8d0f/hoi-nghi-1024.webp", "alt": "Đại biểu dự hội nghị tại hội trường phường"},
    "author": "Thu Hà - Phường Bến Thành", "tags": ["dân vận", "thi đua"], "status": "published",
    "published_at": "2026-11-28T09:30:00Z", "word_count": 640, "reading_time_minutes": 4,
    "created_at": "2026-11-28T08:05:00Z", "updated_at": "2026-11-28T09:30:00Z"
}))]
pub struct Article {
    pub id: i64,
    pub site: SiteRef,
    pub category: CategoryRef,
    #[schema(example = "Hội nghị tổng kết “Dân vận khéo” năm 2026")]
    pub title: String,
    /// Unique; the article's address. Former slugs answer 301 to the current one.
    #[schema(example = "hoi-nghi-tong-ket-dan-van-kheo-nam-2026")]
    pub slug: String,
    /// Plain text; derived from the body when not written.
    pub summary: String,
    /// Sanitised HTML, safe to render as it is. Lists leave it out unless `fields` asks for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub cover: Option<Cover>,
    /// The photos shown with the article, in order, each as a cover is (variants for a `srcset`,
    /// alt text, caption, credit). With the body only; images still processing are left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gallery: Option<Vec<Cover>>,
    /// The byline as the portal prints it (free text, not a user account).
    #[schema(example = "Thu Hà - Phường Hòa Bình")]
    pub author: String,
    pub tags: Vec<String>,
    pub status: ArticleStatus,
    /// When the article is (or becomes) public; null for drafts never published.
    pub published_at: Option<DateTime<Utc>>,
    pub word_count: i32,
    /// Minutes to read, at 200 words a minute.
    pub reading_time_minutes: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When its content last changed after it was published (null if never): what a portal shows
    /// as "cập nhật lúc ...". Its revisions say what changed.
    pub revised_at: Option<DateTime<Utc>>,
    /// Staff only: who created the article.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<crate::users::model::UserRef>,
    /// Staff only: who last changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<crate::users::model::UserRef>,
}

/// A short reference to an article: for previous/next and related lists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArticleSummary {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub cover: Option<Cover>,
    pub published_at: Option<DateTime<Utc>>,
}

impl From<&Article> for ArticleSummary {
    fn from(a: &Article) -> Self {
        ArticleSummary {
            id: a.id,
            title: a.title.clone(),
            slug: a.slug.clone(),
            summary: a.summary.clone(),
            cover: a.cover.clone(),
            published_at: a.published_at,
        }
    }
}

/// The previous and next published articles of the same category, by publication time.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Adjacent {
    /// The article published just before this one, or null.
    pub previous: Option<ArticleSummary>,
    /// The article published just after this one, or null.
    pub next: Option<ArticleSummary>,
}

/// Articles that share tags with one article, most shared tags first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Related {
    pub data: Vec<ArticleSummary>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleListQuery {
    /// Only these sites, by code (repeatable); all sites when absent.
    #[serde(default)]
    pub site: Vec<String>,
    /// Only this category (slug or id) and the categories below it.
    pub category: Option<String>,
    /// Only articles with this tag (its slug: `dan-van` for "dân vận").
    pub tag: Option<String>,
    /// Published at or after: RFC 3339, or a date (`2026-11-01`, from the start of that day in Vietnam).
    pub from: Option<String>,
    /// Published at or before: RFC 3339, or a date (`2026-11-30`, to the end of that day in Vietnam).
    pub to: Option<String>,
    /// Search in title, summary, body and tags, ignoring case and diacritics. For the public (no
    /// `status`), in relevance or `-published_at` order and without `tag` or `cursor`, the search
    /// engine answers, as `/search` does (phrases, the last word as a prefix, a typo forgiven,
    /// titles above bodies, recent articles lifted; a published article is found within a second
    /// of its commit). Otherwise the database: the words (the last as a prefix), title matches
    /// first, then the newest.
    pub q: Option<String>,
    /// Staff only (token required): `draft`, `published`, `scheduled` (published, not yet due) or `archived`.
    pub status: Option<String>,
    /// Comma-separated keys, `-` for descending: `published_at`, `title`, `created_at`, `updated_at`.
    /// Default `-published_at` (with `q`: relevance, then `-published_at`).
    pub sort: Option<String>,
    /// Comma-separated fields to return (e.g. `title,slug,summary,cover,published_at`); `id` is always
    /// included. Default: every field but `body`.
    pub fields: Option<String>,
    /// Page number, from 1 (offset paging).
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Opaque keyset cursor from `meta.next_cursor` (sorting by one date key only); replaces `page`.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleGetQuery {
    /// Comma-separated fields to return; `id` is always included. Default: every field.
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelatedQuery {
    /// How many related articles, 1 to 20 (default 5).
    pub limit: Option<u32>,
}

/// A new article. It starts as a draft unless `status` is `published`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "title": "Hội nghị tổng kết công tác dân vận năm 2026", "category_id": 3,
    "body": "<p>Sáng nay, Ủy ban nhân dân phường tổ chức hội nghị tổng kết công tác dân vận năm 2026.</p>",
    "tags": ["dân vận"], "cover_url": "/media/hoi-nghi.jpg", "cover_alt": "Quang cảnh hội nghị",
    "author": "Minh Anh", "status": "published"
}))]
#[serde(deny_unknown_fields)]
pub struct CreateArticle {
    /// 1 to 300 characters.
    pub title: String,
    /// Generated from the title when absent (`Dân vận khéo` -> `dan-van-kheo`), made unique.
    pub slug: Option<String>,
    /// Plain text, up to 1000 characters; derived from the body when absent.
    pub summary: Option<String>,
    /// HTML, sanitised on write (headings, paragraphs, lists, links, images, tables, figures).
    pub body: String,
    pub cover_url: Option<String>,
    pub cover_alt: Option<String>,
    /// An image of the site's media library as the cover (instead of `cover_url`); published
    /// articles need its alt text.
    pub cover_media_id: Option<i64>,
    /// Images of the site's media library shown with the article, in order (up to 50);
    /// published articles need their alt text.
    #[serde(default)]
    pub gallery_media_ids: Vec<i64>,
    /// The byline as printed, up to 200 characters.
    pub author: Option<String>,
    /// The category; the article belongs to its site.
    pub category_id: i64,
    /// Up to 20 tags of 1 to 50 characters.
    pub tags: Option<Vec<String>>,
    /// `draft` (default) or `published`.
    pub status: Option<ArticleStatus>,
    /// For a published article: when it becomes public (default now; a future time schedules it).
    pub published_at: Option<DateTime<Utc>>,
}

/// Changes to an article; absent fields stay as they are. Send `If-Match` with the article's
/// `ETag` to refuse the change (412) if someone changed it meanwhile. The status changes through
/// the publish, unpublish and archive actions.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    pub title: Option<String>,
    /// A new slug; the old one keeps answering with a redirect.
    pub slug: Option<String>,
    /// null: derive it from the body again.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub summary: Option<Option<String>>,
    pub body: Option<String>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub cover_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub cover_alt: Option<Option<String>>,
    /// An image of the site's media library as the cover; null: none.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<i64>)]
    pub cover_media_id: Option<Option<i64>>,
    /// Replaces the gallery (`[]`: none).
    pub gallery_media_ids: Option<Vec<i64>>,
    pub author: Option<String>,
    /// Move to another category of the same site.
    pub category_id: Option<i64>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Reschedules a published article, or presets the time of a draft's publication.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub published_at: Option<Option<DateTime<Utc>>>,
}

/// Options of the publish action.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishArticle {
    /// When it becomes public: default the time already set, or now. A future time schedules it.
    pub published_at: Option<DateTime<Utc>>,
}

/// Checked, cleaned content of an article, ready to store.
pub struct CleanContent {
    pub summary: String,
    pub summary_auto: bool,
    pub body: String,
    pub word_count: i32,
    pub search_body: String,
}

/// Sanitises the body and derives what follows from it: summary (when not written), word count,
/// and the folded search text (summary, body text and tags).
pub fn clean_content(body: &str, summary: Option<&str>, tags: &[String]) -> CleanContent {
    let body = crate::text::sanitize_html(body);
    let text = crate::text::html_to_text(&body);
    let (summary, summary_auto) = match summary.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => (s.split_whitespace().collect::<Vec<_>>().join(" "), false),
        None => (crate::text::excerpt(&text, DERIVED_SUMMARY_CHARS), true),
    };
    let search_body = crate::text::fold(&format!("{summary} {text} {}", tags.join(" ")));
    CleanContent { word_count: crate::text::word_count(&text) as i32, summary, summary_auto, body, search_body }
}

pub fn validate_title(title: &str, errors: &mut Vec<FieldError>) {
    let len = title.trim().chars().count();
    if len == 0 {
        errors.push(FieldError::new("title", "required", "must not be empty"));
    } else if len > MAX_TITLE_CHARS {
        errors.push(FieldError::new("title", "too_long", format!("must be at most {MAX_TITLE_CHARS} characters")));
    }
}

pub fn validate_body(body: &str, errors: &mut Vec<FieldError>) {
    let len = body.chars().count();
    if body.trim().is_empty() {
        errors.push(FieldError::new("body", "required", "must not be empty"));
    } else if len > MAX_BODY_CHARS {
        errors.push(FieldError::new("body", "too_long", format!("must be at most {MAX_BODY_CHARS} characters")));
    }
}

pub fn validate_optional(field: &str, value: Option<&str>, max: usize, errors: &mut Vec<FieldError>) {
    if let Some(value) = value
        && value.chars().count() > max
    {
        errors.push(FieldError::new(field, "too_long", format!("must be at most {max} characters")));
    }
}

pub fn validate_cover_url(url: Option<&str>, errors: &mut Vec<FieldError>) {
    if let Some(url) = url {
        let ok = url.len() <= 2000
            && !url.chars().any(char::is_whitespace)
            && (url.starts_with("https://")
                || url.starts_with("http://")
                || (url.starts_with('/') && !url.starts_with("//")));
        if !ok {
            errors.push(FieldError::new(
                "cover_url",
                "invalid_format",
                "must be an http(s) URL or a path starting with /",
            ));
        }
    }
}

/// Trims tags, drops duplicates (by slug) and checks their number and length.
pub fn clean_tags(tags: &[String], errors: &mut Vec<FieldError>) -> Vec<(String, String)> {
    let mut cleaned: Vec<(String, String)> = vec![];
    for (i, tag) in tags.iter().enumerate() {
        let name = tag.split_whitespace().collect::<Vec<_>>().join(" ");
        let slug = crate::text::slugify(&name, 60);
        if name.is_empty() || slug.is_empty() {
            errors.push(FieldError::new(format!("tags[{i}]"), "required", "must contain a letter or digit"));
        } else if name.chars().count() > 50 {
            errors.push(FieldError::new(format!("tags[{i}]"), "too_long", "must be at most 50 characters"));
        } else if !cleaned.iter().any(|(s, _)| *s == slug) {
            cleaned.push((slug, name));
        }
    }
    if cleaned.len() > MAX_TAGS {
        errors.push(FieldError::new("tags", "too_long", format!("must have at most {MAX_TAGS} tags")));
    }
    cleaned
}

pub fn validate_slug(slug: &str, errors: &mut Vec<FieldError>) {
    if !crate::text::is_valid_slug(slug) {
        errors.push(FieldError::new(
            "slug",
            "invalid_format",
            "must be lowercase letters and digits joined by hyphens",
        ));
    }
}

/// What happened to an article, for a client that keeps a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The article is public: store this version.
    Upsert,
    /// The article is no longer public (deleted, unpublished or archived): remove it.
    Delete,
}

/// One entry of the changes feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArticleChange {
    /// The article's id, stable for its life.
    pub id: i64,
    pub site: SiteRef,
    pub change: ChangeKind,
    /// When the public view changed (for a scheduled article: when it became public).
    pub changed_at: DateTime<Utc>,
    /// The article as the public sees it, for an upsert; null for a delete.
    pub article: Option<Article>,
}

/// A page of the changes feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArticleChanges {
    pub data: Vec<ArticleChange>,
    pub meta: ChangesMeta,
}

/// Where to resume the changes feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangesMeta {
    pub per_page: u32,
    /// Pass it as `cursor` on the next pull: it resumes after the last entry of this page
    /// (or where this pull started, when the page is empty). Keep it between pulls.
    pub next_cursor: String,
    /// More changes are waiting now: pull again at once.
    pub has_more: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Only these sites, by code (repeatable); all sites when absent.
    #[serde(default)]
    pub site: Vec<String>,
    /// Changes after this time (RFC 3339), for a first pull; default: from the beginning.
    pub since: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous pull; replaces `since`.
    pub cursor: Option<String>,
    /// Entries per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::ArticleStatus::{self, Archived, Draft, Published};

    #[test]
    fn an_article_moves_only_along_its_lifecycle() {
        let all = [Draft, Published, Archived];
        let allowed: Vec<(ArticleStatus, ArticleStatus)> = all
            .iter()
            .flat_map(|&from| all.iter().map(move |&to| (from, to)))
            .filter(|(f, t)| f.may_become(*t))
            .collect();
        assert_eq!(
            allowed,
            [(Draft, Published), (Draft, Archived), (Published, Draft), (Published, Archived), (Archived, Published)]
        );
    }
}

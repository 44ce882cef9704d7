//! Demo content: the sections of a ward portal and a few dozen articles written for muni, so that a
//! newcomer sees a working API at once (`muni serve --demo`, `muni seed demo`).

use chrono::{Duration, Timelike};
use serde::Deserialize;

use crate::articles::model::{ArticleStatus, clean_content};
use crate::articles::repo::{self as articles, NewArticle};
use crate::categories::repo::{self as categories, NewCategory};
use crate::db::{DbConn, write_transaction};
use crate::error::ApiError;

const DEMO_ARTICLES: &str = include_str!("seed/demo_articles.json");

#[derive(Deserialize)]
struct Demo {
    categories: Vec<DemoCategory>,
    articles: Vec<DemoArticle>,
}

#[derive(Deserialize)]
struct DemoCategory {
    slug: String,
    name: String,
    description: String,
    parent: Option<String>,
    position: i32,
}

#[derive(Deserialize)]
struct DemoArticle {
    title: String,
    category: String,
    summary: String,
    body_html: String,
    author: String,
    tags: Vec<String>,
    published_days_ago: Option<i64>,
    status: String,
    cover_url: Option<String>,
    cover_alt: Option<String>,
}

/// What the demo seed did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub categories: usize,
    pub articles: usize,
    pub skipped: bool,
}

/// Fills a site that has no categories yet with the demo sections and articles; does nothing
/// to a site that has content.
pub fn seed_demo(conn: &mut DbConn, site_id: i64) -> Result<SeedReport, ApiError> {
    let demo: Demo = serde_json::from_str(DEMO_ARTICLES).map_err(ApiError::internal)?;
    write_transaction(conn, |c| {
        if !categories::list_all(c, Some(&[site_id]))?.is_empty() {
            return Ok(SeedReport { skipped: true, ..SeedReport::default() });
        }
        let now = crate::db::now();
        let mut ids: Vec<(String, i64)> = vec![];
        for category in &demo.categories {
            let parent_id =
                category.parent.as_ref().and_then(|p| ids.iter().find(|(slug, _)| slug == p).map(|(_, id)| *id));
            let new = NewCategory {
                site_id,
                parent_id,
                name: &category.name,
                slug: &category.slug,
                description: &category.description,
                position: category.position,
            };
            ids.push((category.slug.clone(), categories::insert(c, &new)?));
        }
        // Morning publication times, spread over the days before today.
        let today = now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
        for (i, article) in demo.articles.iter().enumerate() {
            let category_id =
                ids.iter().find(|(slug, _)| *slug == article.category).map(|(_, id)| *id).ok_or_else(|| {
                    ApiError::internal(format!("demo article in unknown category {}", article.category))
                })?;
            let mut tag_errors = vec![];
            let tags = crate::articles::model::clean_tags(&article.tags, &mut tag_errors);
            let tag_names: Vec<String> = tags.iter().map(|(_, n)| n.clone()).collect();
            let content = clean_content(&article.body_html, Some(&article.summary), &tag_names);
            let status = ArticleStatus::parse(&article.status).unwrap_or(ArticleStatus::Draft);
            let published_at = article.published_days_ago.map(|days| {
                today - Duration::days(days) - Duration::hours(i as i64 % 5) - Duration::minutes((i as i64 * 7) % 60)
            });
            let slug = articles::unique_slug(c, &crate::text::slugify(&article.title, 120), None)?;
            let new = NewArticle {
                site_id,
                category_id,
                title: &article.title,
                slug: &slug,
                content: &content,
                cover_url: article.cover_url.as_deref(),
                cover_alt: article.cover_alt.as_deref(),
                author: &article.author,
                status,
                published_at,
                user_id: None,
                now: published_at.map_or(now, |p| p.min(now)),
            };
            let id = articles::insert_article(c, &new)?;
            articles::set_tags(c, id, &tags)?;
        }
        Ok(SeedReport { categories: demo.categories.len(), articles: demo.articles.len(), skipped: false })
    })
}

//! News feeds: RSS 2.0 and Atom 1.0 of the newest public articles of the selected sites, of a
//! category (its sub-categories included) or of a tag, with links to the portal's pages (the site's
//! `public_url` and page templates), GUIDs that never change, and conditional GET.

use std::collections::HashMap;
use std::fmt::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::Article;
use super::repo::{self, ArticleFilter, Slice, SortField, SortKey, Visibility};
use crate::db::{self, now};
use crate::error::ApiError;
use crate::http::ApiQuery;
use crate::sites;
use crate::sites::model::{PageKind, SiteRow};
use crate::state::AppState;
use crate::text::{slugify, xml_escape};

/// Items in a feed: the newest, as feed readers expect.
const FEED_ITEMS: i64 = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Only these sites, by code (repeatable); all sites when absent.
    #[serde(default)]
    pub site: Vec<String>,
    /// Only this category, by slug or id, and the categories below it.
    pub category: Option<String>,
    /// Only articles with this tag.
    pub tag: Option<String>,
}

/// What a feed is made of.
struct Feed {
    /// Names the feed for ever: its sites, category and tag.
    id: String,
    title: String,
    /// The portal's address, when the feed is of one site that has one.
    home: Option<String>,
    articles: Vec<Article>,
    sites: HashMap<i64, SiteRow>,
    updated: NaiveDateTime,
    /// The API's public address (`MUNI_PUBLIC_URL`), which library images are served under.
    api_base: Option<String>,
}

/// The newest 50 public articles as RSS 2.0.
#[utoipa::path(
    tag = "articles",
    params(FeedQuery),
    responses(
        (status = 200, description = "An RSS 2.0 feed", content_type = "application/rss+xml", body = String),
        (status = 304, description = "Not modified since `If-Modified-Since`, or the `If-None-Match` ETag"),
    )
)]
#[get("/articles.rss")]
pub async fn articles_rss(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let feed = load(&state, query.0).await?;
    Ok(respond(&req, &feed, "application/rss+xml; charset=utf-8", rss(&feed, &self_url(&state, &req))))
}

/// The newest 50 public articles as Atom 1.0.
#[utoipa::path(
    tag = "articles",
    params(FeedQuery),
    responses(
        (status = 200, description = "An Atom 1.0 feed", content_type = "application/atom+xml", body = String),
        (status = 304, description = "Not modified since `If-Modified-Since`, or the `If-None-Match` ETag"),
    )
)]
#[get("/articles.atom")]
pub async fn articles_atom(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let feed = load(&state, query.0).await?;
    Ok(respond(&req, &feed, "application/atom+xml; charset=utf-8", atom(&feed, &self_url(&state, &req))))
}

async fn load(state: &AppState, query: FeedQuery) -> Result<Feed, ApiError> {
    let api_base = state.config.public_url.clone();
    db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let (category_ids, category_name) = match &query.category {
            Some(key) => {
                let (ids, name) = super::reads::category_subtree(conn, key, site_ids.as_deref())?;
                (Some(ids), Some(name))
            }
            None => (None, None),
        };
        let tag = query.tag.as_deref().map(|t| slugify(t, 60));
        let filter = ArticleFilter {
            site_ids: site_ids.clone(),
            category_ids,
            tag: tag.clone(),
            from: None,
            to: None,
            search: None,
        };
        let sort = [SortKey { field: SortField::PublishedAt, desc: true }];
        let slice = Slice { keyset: None, offset: 0, limit: FEED_ITEMS, with_body: false };
        let (rows, _) = repo::list(conn, &filter, &Visibility::Public { now: now() }, &sort, slice)?;
        let updated = rows.iter().map(|r| r.updated_at.max(r.published_at.unwrap_or(r.updated_at))).max();
        let articles = repo::to_articles(conn, rows, false, false)?;
        let mut wanted: Vec<i64> = articles.iter().map(|a| a.site.id).collect();
        wanted.extend(site_ids.iter().flatten());
        wanted.sort_unstable();
        wanted.dedup();
        let sites: HashMap<i64, SiteRow> = sites::rows_by_ids(conn, &wanted)?.into_iter().map(|s| (s.id, s)).collect();
        let only_site = match site_ids.as_deref() {
            Some([one]) => sites.get(one),
            _ if sites.len() == 1 => sites.values().next(),
            _ => None,
        };
        let mut title = only_site.map_or_else(|| "Tin tức".to_owned(), |s| s.name.clone());
        let mut id = format!("urn:muni:feed:articles:{}", only_site.map_or("all", |s| s.code.as_str()));
        if let (Some(name), Some(key)) = (&category_name, &query.category) {
            title = format!("{title}: {name}");
            id.push_str(&format!(":category:{key}"));
        }
        if let Some(tag) = &tag {
            title = format!("{title}: #{tag}");
            id.push_str(&format!(":tag:{tag}"));
        }
        let home = only_site.and_then(|s| s.public_url.clone());
        let site_updated = sites.values().map(|s| s.updated_at).max();
        let updated = updated.max(site_updated).unwrap_or_else(|| chrono::DateTime::UNIX_EPOCH.naive_utc());
        Ok(Feed { id, title, home, articles, sites, updated, api_base })
    })
    .await
}

/// The feed, or 304 when the client's copy (by `If-Modified-Since`) is current; the ETag and
/// `If-None-Match` are the cache middleware's, as for every GET.
fn respond(req: &HttpRequest, feed: &Feed, content_type: &str, body: String) -> HttpResponse {
    let last_modified = feed.updated.and_utc();
    let since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok());
    let http_date = last_modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if !req.headers().contains_key(header::IF_NONE_MATCH)
        && since.is_some_and(|since| last_modified.timestamp() <= since.timestamp())
    {
        return HttpResponse::NotModified().insert_header((header::LAST_MODIFIED, http_date)).finish();
    }
    HttpResponse::Ok().content_type(content_type).insert_header((header::LAST_MODIFIED, http_date)).body(body)
}

/// This feed's own address, when the API's public address is configured (links are never taken
/// from request headers).
fn self_url(state: &AppState, req: &HttpRequest) -> Option<String> {
    let base = state.config.public_url.as_ref()?;
    let query = req.query_string();
    Some(if query.is_empty() { format!("{base}{}", req.path()) } else { format!("{base}{}?{query}", req.path()) })
}

impl Feed {
    fn link(&self, article: &Article) -> Option<String> {
        let site = self.sites.get(&article.site.id)?;
        site.page_url(PageKind::Article, &article.slug, article.id, "")
    }

    /// The cover as an enclosure: its absolute address, media type and length (unknown, 0, for a
    /// cover elsewhere). A library image is served by the API, so it needs `MUNI_PUBLIC_URL`.
    fn enclosure(&self, article: &Article) -> Option<(String, String, i64)> {
        let cover = article.cover.as_ref()?;
        if let Some(media) = &cover.media {
            let base = self.api_base.as_ref()?;
            let variant = media.variants.iter().find(|v| v.url == cover.url)?;
            return Some((format!("{base}{}", cover.url), variant.media_type.clone(), variant.size));
        }
        let url = self.cover_url(article)?;
        let media_type = image_type(&url).to_owned();
        Some((url, media_type, 0))
    }

    /// An absolute address for a cover: as it is, or on the site's portal.
    fn cover_url(&self, article: &Article) -> Option<String> {
        let url = &article.cover.as_ref()?.url;
        if url.starts_with("http://") || url.starts_with("https://") {
            return Some(url.clone());
        }
        let base = self.sites.get(&article.site.id)?.public_url.as_ref()?;
        url.starts_with('/').then(|| format!("{base}{url}"))
    }
}

/// The GUID of an article: its site's code (which never changes) and its id.
fn guid(article: &Article) -> String {
    format!("urn:muni:{}:article:{}", article.site.code, article.id)
}

/// The media type of an image by its extension, for enclosures.
fn image_type(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    match path.rsplit('.').next() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("avif") => "image/avif",
        _ => "image/jpeg",
    }
}

fn rss(feed: &Feed, self_url: &Option<String>) -> String {
    let e = xml_escape;
    let mut out = String::with_capacity(4096 + feed.articles.len() * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n",
    );
    let _ = writeln!(out, "<title>{}</title>", e(&feed.title));
    let _ = writeln!(out, "<link>{}</link>", e(feed.home.as_deref().unwrap_or("/")));
    let _ = writeln!(out, "<description>{}</description>", e(&feed.title));
    out.push_str("<language>vi</language>\n<generator>muni</generator>\n");
    let _ = writeln!(out, "<lastBuildDate>{}</lastBuildDate>", feed.updated.and_utc().to_rfc2822());
    if let Some(url) = self_url {
        let _ = writeln!(out, "<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>", e(url));
    }
    for article in &feed.articles {
        out.push_str("<item>\n");
        let _ = writeln!(out, "<title>{}</title>", e(&article.title));
        if let Some(link) = feed.link(article) {
            let _ = writeln!(out, "<link>{}</link>", e(&link));
        }
        let _ = writeln!(out, "<guid isPermaLink=\"false\">{}</guid>", e(&guid(article)));
        let _ = writeln!(out, "<description>{}</description>", e(&article.summary));
        if let Some(published) = article.published_at {
            let _ = writeln!(out, "<pubDate>{}</pubDate>", published.to_rfc2822());
        }
        if !article.author.is_empty() {
            let _ = writeln!(out, "<dc:creator>{}</dc:creator>", e(&article.author));
        }
        let _ = writeln!(out, "<category>{}</category>", e(&article.category.name));
        for tag in &article.tags {
            let _ = writeln!(out, "<category domain=\"tag\">{}</category>", e(tag));
        }
        if let Some((url, media_type, length)) = feed.enclosure(article) {
            // A cover elsewhere has no known length; 0 is what readers accept.
            let _ = writeln!(out, "<enclosure url=\"{}\" type=\"{}\" length=\"{length}\"/>", e(&url), e(&media_type));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

fn atom(feed: &Feed, self_url: &Option<String>) -> String {
    let e = xml_escape;
    let mut out = String::with_capacity(4096 + feed.articles.len() * 1024);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n",
    );
    let _ = writeln!(out, "<id>{}</id>", e(&feed.id));
    let _ = writeln!(out, "<title>{}</title>", e(&feed.title));
    let _ = writeln!(out, "<updated>{}</updated>", feed.updated.and_utc().to_rfc3339());
    out.push_str("<generator>muni</generator>\n");
    if let Some(home) = &feed.home {
        let _ = writeln!(out, "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", e(home));
    }
    if let Some(url) = self_url {
        let _ = writeln!(out, "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>", e(url));
    }
    for article in &feed.articles {
        out.push_str("<entry>\n");
        let _ = writeln!(out, "<id>{}</id>", e(&guid(article)));
        let _ = writeln!(out, "<title>{}</title>", e(&article.title));
        let updated = article.published_at.map_or(article.updated_at, |p| p.max(article.updated_at));
        let _ = writeln!(out, "<updated>{}</updated>", updated.to_rfc3339());
        if let Some(published) = article.published_at {
            let _ = writeln!(out, "<published>{}</published>", published.to_rfc3339());
        }
        let author = if article.author.is_empty() { &article.site.name } else { &article.author };
        let _ = writeln!(out, "<author><name>{}</name></author>", e(author));
        match feed.link(article) {
            Some(link) => {
                let _ = writeln!(out, "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", e(&link));
                let _ = writeln!(out, "<summary>{}</summary>", e(&article.summary));
            }
            // An entry without a link must carry its content.
            None => {
                let _ = writeln!(out, "<content type=\"text\">{}</content>", e(&article.summary));
            }
        }
        let _ =
            writeln!(out, "<category term=\"{}\" label=\"{}\"/>", e(&article.category.slug), e(&article.category.name));
        for tag in &article.tags {
            let _ = writeln!(out, "<category term=\"{}\" scheme=\"tag\"/>", e(tag));
        }
        if let Some((url, media_type, length)) = feed.enclosure(article) {
            let length = if length > 0 { format!(" length=\"{length}\"") } else { String::new() };
            let _ = writeln!(out, "<link rel=\"enclosure\" type=\"{}\" href=\"{}\"{length}/>", e(&media_type), e(&url));
        }
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(
            xml_escape("Tin <b>\"mới\"</b> & 'cũ'\u{1}"),
            "Tin &lt;b&gt;&quot;mới&quot;&lt;/b&gt; &amp; &apos;cũ&apos;"
        );
        assert_eq!(image_type("https://x.vn/a.PNG?v=2"), "image/png");
        assert_eq!(image_type("/media/a"), "image/jpeg");
    }
}

//! `GET /api/v1/sites/{key}/sitemap.xml` and its parts.

use std::fmt::Write;

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDateTime;

use crate::db::{self, DbConn, now};
use crate::error::ApiError;
use crate::sites::model::{PageEntry, PageKind, SiteRow};
use crate::state::AppState;
use crate::{articles, categories, procedures, questions, sites};

/// The kinds of page, in the order the sitemap lists them.
const KINDS: [PageKind; 4] = [PageKind::Category, PageKind::Article, PageKind::Procedure, PageKind::Question];

fn count(conn: &mut DbConn, kind: PageKind, site_id: i64) -> Result<i64, ApiError> {
    Ok(match kind {
        PageKind::Category => categories::count_pages(conn, site_id)?,
        PageKind::Article => articles::count_pages(conn, site_id, now())?,
        PageKind::Procedure => procedures::count_pages(conn, site_id)?,
        PageKind::Question => questions::count_pages(conn, site_id)?,
        PageKind::Event => 0,
    })
}

fn pages(conn: &mut DbConn, kind: PageKind, site_id: i64, offset: i64, limit: i64) -> Result<Vec<PageEntry>, ApiError> {
    Ok(match kind {
        PageKind::Category => categories::pages(conn, site_id, offset, limit)?,
        PageKind::Article => articles::pages(conn, site_id, now(), offset, limit)?,
        PageKind::Procedure => procedures::pages(conn, site_id, offset, limit)?,
        PageKind::Question => questions::pages(conn, site_id, offset, limit)?,
        PageKind::Event => vec![],
    })
}

/// The site, which must have a public address for its pages.
fn site_with_pages(conn: &mut DbConn, key: &str) -> Result<SiteRow, ApiError> {
    let site = sites::find_site(conn, key)?.ok_or_else(|| ApiError::not_found("site"))?;
    if site.page_url(PageKind::Article, "x", 1, "x").is_none() {
        return Err(ApiError::NotFound(format!(
            "The site `{}` has no public_url yet, so its pages have no address: set it with PATCH /api/v1/sites/{}.",
            site.code, site.code
        )));
    }
    Ok(site)
}

/// How many pages of each kind the site has, in the order of [`KINDS`].
fn counts(conn: &mut DbConn, site: &SiteRow) -> Result<[i64; 4], ApiError> {
    let mut counts = [0; 4];
    for (slot, kind) in counts.iter_mut().zip(KINDS) {
        *slot = count(conn, kind, site.id)?;
    }
    Ok(counts)
}

/// The URLs of part `part` (from 1) of the site's pages, `per_file` to a part, given how many
/// there are of each kind.
fn part_urls(
    conn: &mut DbConn,
    site: &SiteRow,
    counts: &[i64; 4],
    part: usize,
    per_file: usize,
) -> Result<Vec<(String, NaiveDateTime)>, ApiError> {
    let mut skip = ((part - 1) * per_file) as i64;
    let mut wanted = per_file as i64;
    let mut urls = Vec::with_capacity(per_file.min(4096));
    for (kind, &total) in KINDS.into_iter().zip(counts) {
        if wanted == 0 {
            break;
        }
        if skip >= total {
            skip -= total;
            continue;
        }
        for page in pages(conn, kind, site.id, skip, wanted)? {
            if let Some(url) = site.page_url(kind, &page.key, page.id, &page.key) {
                urls.push((url, page.lastmod));
            }
            wanted -= 1;
        }
        skip = 0;
    }
    Ok(urls)
}

fn xml_response(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("application/xml; charset=utf-8").body(body)
}

fn urlset(urls: &[(String, NaiveDateTime)]) -> String {
    let mut out = String::with_capacity(128 + urls.len() * 160);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (url, lastmod) in urls {
        let _ = writeln!(
            out,
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
            crate::text::xml_escape(url),
            lastmod.and_utc().format("%Y-%m-%dT%H:%M:%SZ")
        );
    }
    out.push_str("</urlset>\n");
    out
}

/// A site's sitemap: every page of its portal (categories, public articles, procedures, published
/// questions) with when it last changed; an index of numbered parts once past 50,000 URLs.
#[utoipa::path(
    tag = "sites",
    params(("key" = String, Path, description = "The site's code or id")),
    responses(
        (status = 200, description = "A sitemap (`urlset`), or a sitemap index (`sitemapindex`) of its parts", content_type = "application/xml", body = String),
        (status = 404, description = "No such site, or it has no `public_url` for its pages yet"),
    )
)]
#[get("/sites/{key}/sitemap.xml")]
pub async fn sitemap(state: web::Data<AppState>, key: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let per_file = state.config.sitemap_urls_per_file;
    let api_base = state.config.public_url.clone().unwrap_or_default();
    let body = db::run(&state.db, move |conn| {
        let site = site_with_pages(conn, &key)?;
        let counts = counts(conn, &site)?;
        let total = counts.iter().sum::<i64>() as usize;
        if total <= per_file {
            return Ok(urlset(&part_urls(conn, &site, &counts, 1, per_file)?));
        }
        let parts = total.div_ceil(per_file);
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        for part in 1..=parts {
            let _ = writeln!(
                out,
                "<sitemap><loc>{}</loc></sitemap>",
                crate::text::xml_escape(&format!("{api_base}/api/v1/sites/{}/sitemaps/{part}.xml", site.code))
            );
        }
        out.push_str("</sitemapindex>\n");
        Ok(out)
    })
    .await?;
    Ok(xml_response(body))
}

/// One part of a site's sitemap index (from 1).
#[utoipa::path(
    tag = "sites",
    params(
        ("key" = String, Path, description = "The site's code or id"),
        ("part" = u32, Path, description = "The part's number, from 1", minimum = 1),
    ),
    responses(
        (status = 200, description = "A sitemap (`urlset`) of at most 50,000 URLs", content_type = "application/xml", body = String),
        (status = 404, description = "No such site or part, or the site has no `public_url` for its pages yet"),
    )
)]
#[get("/sites/{key}/sitemaps/{part}.xml")]
pub async fn sitemap_part(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (key, part) = path.into_inner();
    let part: usize = part.parse().ok().filter(|p| *p >= 1).ok_or_else(|| ApiError::not_found("sitemap part"))?;
    let per_file = state.config.sitemap_urls_per_file;
    let body = db::run(&state.db, move |conn| {
        let site = site_with_pages(conn, &key)?;
        let counts = counts(conn, &site)?;
        let urls = part_urls(conn, &site, &counts, part, per_file)?;
        if urls.is_empty() {
            return Err(ApiError::not_found("sitemap part"));
        }
        Ok(urlset(&urls))
    })
    .await?;
    Ok(xml_response(body))
}

//! Offset and cursor paging, and list responses with their `Link` and `X-Total-Count` headers.

use std::fmt::Write as _;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// The configured public base URL (`MUNI_PUBLIC_URL`, no trailing slash) that absolute links start
/// with; empty for relative links.
#[derive(Debug, Clone, Default)]
pub struct PublicUrl(pub String);

/// Offset paging, validated: `page` from 1, `per_page` from 1 to 100 (default 20).
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

pub const MAX_PER_PAGE: u32 = 100;

impl Paging {
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Result<Self, ApiError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(20);
        let mut errors = vec![];
        if page == 0 {
            errors.push(FieldError::new("page", "invalid_value", "must be 1 or more"));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            errors.push(FieldError::new("per_page", "invalid_value", format!("must be between 1 and {MAX_PER_PAGE}")));
        }
        if !errors.is_empty() {
            return Err(ApiError::BadRequestFields { detail: "The paging parameters are invalid.".into(), errors });
        }
        Ok(Self { page, per_page })
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

/// Paging facts of a list response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ListMeta {
    /// How many items match the filters, over all pages.
    pub total: i64,
    /// The page returned (from 1).
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Opaque cursor for the next page, for resources that offer keyset paging; null on the last page.
    pub next_cursor: Option<String>,
}

/// A list response: the items and the paging facts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub meta: ListMeta,
}

/// Answers a page of a list with `Link` (first, prev, next, last) and `X-Total-Count` headers.
pub fn list_response<T: Serialize>(req: &HttpRequest, data: Vec<T>, total: i64, paging: Paging) -> HttpResponse {
    list_response_with_cursor(req, data, total, paging, None)
}

/// As [`list_response`], with a keyset cursor to the next page. When the request itself was paged
/// by cursor, the `next` link carries the cursor and there is no `prev` or `last`.
pub fn list_response_with_cursor<T: Serialize>(
    req: &HttpRequest,
    data: Vec<T>,
    total: i64,
    paging: Paging,
    next_cursor: Option<String>,
) -> HttpResponse {
    let by_cursor = req.query_string().split('&').any(|p| p.starts_with("cursor="));
    let links = page_links(req, total, paging, next_cursor.as_deref());
    let page = if by_cursor { 1 } else { paging.page };
    let body = ListResponse { data, meta: ListMeta { total, page, per_page: paging.per_page, next_cursor } };
    HttpResponse::Ok()
        .insert_header((header::LINK, links))
        .insert_header(("X-Total-Count", total.to_string()))
        .json(body)
}

/// The `Link` header of a page (first, prev, next, last; by cursor, first and next only).
pub fn page_links(req: &HttpRequest, total: i64, paging: Paging, next_cursor: Option<&str>) -> String {
    let by_cursor = req.query_string().split('&').any(|p| p.starts_with("cursor="));
    let last_page = if total == 0 { 1 } else { ((total - 1) / i64::from(paging.per_page) + 1) as u32 };
    let mut links = vec![];
    let link = |url: String, rel: &str| format!("<{url}>; rel=\"{rel}\"");
    links.push(link(page_url(req, &[("page", "1")]), "first"));
    if by_cursor {
        if let Some(cursor) = next_cursor {
            links.push(link(page_url(req, &[("cursor", cursor)]), "next"));
        }
    } else {
        if paging.page > 1 {
            links.push(link(page_url(req, &[("page", &(paging.page - 1).min(last_page).to_string())]), "prev"));
        }
        if paging.page < last_page {
            links.push(link(page_url(req, &[("page", &(paging.page + 1).to_string())]), "next"));
        }
        links.push(link(page_url(req, &[("page", &last_page.to_string())]), "last"));
    }
    links.join(", ")
}

/// The request's own URL with `set` replacing `page` and `cursor`, other parameters kept in order.
///
/// Relative (RFC 8288 allows it) unless a public base URL is configured; never built from `Host`
/// or `X-Forwarded-*`: a shared cached response must not depend on a header outside its key.
fn page_url(req: &HttpRequest, set: &[(&str, &str)]) -> String {
    let base = req.app_data::<PublicUrl>().map_or("", |p| p.0.as_str());
    let mut url = format!("{base}{}?", req.path());
    for pair in
        req.query_string().split('&').filter(|p| !p.is_empty() && !p.starts_with("page=") && !p.starts_with("cursor="))
    {
        let _ = write!(url, "{pair}&");
    }
    let encoded: Vec<String> = set.iter().map(|(k, v)| format!("{k}={}", form_escape(v))).collect();
    url.push_str(&encoded.join("&"));
    url
}

fn form_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

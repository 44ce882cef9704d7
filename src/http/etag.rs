//! Caching headers: strong ETags per content encoding, `If-None-Match` (304) and `If-Match`.

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Sets `Cache-Control` and a strong `ETag` on successful GETs and answers `If-None-Match` with 304.
///
/// It runs inside compression: the ETag is the hash of the identity representation, and
/// [`etag_encoding_middleware`] marks compressed ones (`"tag-gzip"`), so that each encoding has its
/// own strong validator while `If-Match` and `If-None-Match` accept any of them.
/// Responses to requests with a token are `private, no-store`; anonymous ones are public for a minute
/// unless the handler chose otherwise.
pub async fn cache_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let has_token = req.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut res = next.call(req).await?.map_into_boxed_body();
    if !is_read {
        res.headers_mut().entry_or_insert(header::CACHE_CONTROL, "no-store");
        return Ok(res);
    }
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let (req, mut response) = res.into_parts();
    let cache_control = if has_token { "private, no-store" } else { "public, max-age=60" };
    response.headers_mut().entry_or_insert(header::CACHE_CONTROL, cache_control);
    if response.headers().get(header::CACHE_CONTROL).is_some_and(|v| v.as_bytes().starts_with(b"public")) {
        response.headers_mut().append(header::VARY, HeaderValue::from_static("Authorization"));
    }
    let etag = match response.headers().get(header::ETAG) {
        Some(etag) => etag.clone(),
        None => {
            let (head, body) = response.into_parts();
            let bytes = match actix_web::body::to_bytes(body).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    return Ok(ServiceResponse::new(req, HttpResponse::InternalServerError().finish()));
                }
            };
            let etag = strong_etag(&bytes);
            response = head.set_body(BoxBody::new(bytes));
            response.headers_mut().insert(header::ETAG, etag.clone());
            etag
        }
    };
    let matched = if_none_match.as_deref().and_then(|inm| matching_candidate(inm, etag.to_str().unwrap_or("")));
    if let Some(candidate) = matched {
        let mut not_modified = HttpResponse::NotModified().finish();
        for name in [header::CACHE_CONTROL, header::LAST_MODIFIED, header::VARY] {
            for value in response.headers().get_all(&name) {
                not_modified.headers_mut().append(name.clone(), value.clone());
            }
        }
        // The validator of the representation the client holds, encoding mark included.
        let echoed = HeaderValue::from_str(&candidate).unwrap_or(etag);
        not_modified.headers_mut().insert(header::ETAG, echoed);
        return Ok(ServiceResponse::new(req, not_modified));
    }
    Ok(ServiceResponse::new(req, response))
}

trait EntryOrInsert {
    fn entry_or_insert(&mut self, name: header::HeaderName, value: &'static str);
}

impl EntryOrInsert for HeaderMap {
    fn entry_or_insert(&mut self, name: header::HeaderName, value: &'static str) {
        if !self.contains_key(&name) {
            self.insert(name, HeaderValue::from_static(value));
        }
    }
}

/// A strong validator: the first 128 bits of the body's SHA-256.
pub fn strong_etag(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
    HeaderValue::from_str(&format!("\"{tag}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

const ENCODING_MARKS: [&str; 4] = ["-gzip", "-br", "-zstd", "-deflate"];

/// An entity tag without its `W/` prefix and without the mark of a content encoding.
fn opaque_tag(tag: &str) -> &str {
    let tag = tag.trim().trim_start_matches("W/").trim_matches('"');
    ENCODING_MARKS.iter().find_map(|mark| tag.strip_suffix(mark)).unwrap_or(tag)
}

/// The `If-None-Match` candidate that matches `etag` (weak comparison; `*` matches anything).
pub(crate) fn matching_candidate(if_none_match: &str, etag: &str) -> Option<String> {
    if_none_match
        .split(',')
        .map(str::trim)
        .find(|candidate| *candidate == "*" || opaque_tag(candidate) == opaque_tag(etag))
        .map(|candidate| if candidate == "*" { etag.to_owned() } else { candidate.trim_start_matches("W/").to_owned() })
}

/// Whether `If-Match` allows a change to a resource whose current ETag is `etag` (strong
/// comparison: a weak tag never matches; `*` matches any existing resource).
pub fn if_match_allows(if_match: &str, etag: &str) -> bool {
    if_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || (!candidate.starts_with("W/") && opaque_tag(candidate) == opaque_tag(etag))
    })
}

/// Marks the ETag of a compressed response with its encoding (`"tag"` becomes `"tag-gzip"`): the
/// bytes differ, so the strong validators must too.
pub async fn etag_encoding_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let encoding = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .filter(|e| !e.eq_ignore_ascii_case("identity"))
        .map(str::to_owned);
    let etag = res.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let (Some(encoding), Some(etag)) = (encoding, etag) {
        let marked = format!("\"{}-{encoding}\"", etag.trim_matches('"'));
        if let Ok(value) = HeaderValue::from_str(&marked) {
            res.headers_mut().insert(header::ETAG, value);
        }
    }
    Ok(res)
}

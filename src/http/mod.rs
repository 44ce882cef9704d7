//! HTTP plumbing shared by every resource: the JSON body and query extractors that answer
//! problem+json, paging and list responses, and the middleware for errors and caching.

use std::fmt::Write as _;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use base64::Engine;
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError, PROBLEM_JSON, kind_for_status, problem_for, problem_response};

pub mod guard;
pub mod params;

pub use params::parse_instant;

/// The largest JSON body a route accepts; routes that take more set their own with `app_data`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The configured public base URL (`MUNI_PUBLIC_URL`, no trailing slash) that absolute links start
/// with; empty for relative links.
#[derive(Debug, Clone, Default)]
pub struct PublicUrl(pub String);

/// A JSON request body. Unlike `web::Json`, every failure is a problem document: a wrong content
/// type is 415, malformed JSON 400, a body over the limit 413, and a well-formed body with wrong
/// fields 422 with the path of each bad field.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(1024 * 1024, |l| l.0);
        let content_type_ok = is_json_content_type(req.headers());
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "The request body must be JSON, sent with `Content-Type: application/json`.".into(),
                ));
            }
            if declared_len.is_some_and(|len| len > limit) {
                return Err(too_large(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| guard::body_read_error(&e))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(ApiJson)
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("The request body is larger than this endpoint's limit of {limit} bytes."))
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON body, telling syntax errors (400) from field errors (422).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("The request body is empty; a JSON document was expected.".into()));
    }
    let with_controls = guard::json_control_fields(body);
    if !with_controls.is_empty() {
        return Err(ApiError::Validation(
            with_controls
                .into_iter()
                .map(|field| FieldError::new(field, "invalid_characters", "must not contain control characters"))
                .collect(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
        if inner.is_data() && well_formed {
            ApiError::Validation(vec![field_error_from_serde(&path, &inner.to_string())])
        } else {
            let syntax = serde_json::from_slice::<serde::de::IgnoredAny>(body)
                .err()
                .map_or(inner.to_string(), |e| e.to_string());
            ApiError::BadRequest(format!("The request body is not valid JSON: {syntax}."))
        }
    })?;
    de.end().map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}.")))?;
    Ok(value)
}

/// An optional JSON body (of a lifecycle action): empty is `T::default()`; anything else must be
/// `application/json` and parse as `T`.
pub fn optional_json<T: DeserializeOwned + Default>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if !req.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json")) {
        return Err(ApiError::UnsupportedMediaType("The request body must be JSON.".into()));
    }
    parse_json(body)
}

/// Turns serde's message into a field error: `missing field `x`` becomes `{field: "x", code: "required"}`.
fn field_error_from_serde(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = message.split('`').nth(1).unwrap_or("");
    let at = if path == "." || path.is_empty() { "body".to_owned() } else { path.to_owned() };
    if message.starts_with("missing field") {
        FieldError::new(join(quoted), "required", "is required")
    } else if message.starts_with("unknown field") {
        FieldError::new(join(quoted), "unknown_field", "is not a field of this resource")
    } else if message.starts_with("invalid type") {
        FieldError::new(at, "invalid_type", message)
    } else {
        FieldError::new(at, "invalid_value", message)
    }
}

/// Query parameters. Unknown parameters and malformed values are a 400 naming the parameter;
/// repeated keys (`site=a&site=b`) fill `Vec` fields.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_html_form::Deserializer::from_bytes(query.as_bytes());
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        let quoted = message.split('`').nth(1).unwrap_or("");
        let error = if message.starts_with("unknown field") {
            FieldError::new(quoted, "unknown_parameter", "is not a parameter of this endpoint")
        } else if message.starts_with("missing field") {
            FieldError::new(quoted, "required", "is required")
        } else {
            FieldError::new(if path == "." { "query".to_owned() } else { path }, "invalid_value", message.clone())
        };
        ApiError::BadRequestFields {
            detail: format!("The query string is invalid: {}: {}.", error.field, error.message),
            errors: vec![error],
        }
    })
}

/// Deserializes a field that may be absent (leave as is), `null` (clear) or a value (set).
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

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
    let last_page = if total == 0 { 1 } else { ((total - 1) / i64::from(paging.per_page) + 1) as u32 };
    let mut links = vec![];
    let link = |url: String, rel: &str| format!("<{url}>; rel=\"{rel}\"");
    links.push(link(page_url(req, &[("page", "1")]), "first"));
    if by_cursor {
        if let Some(cursor) = &next_cursor {
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
    let page = if by_cursor { 1 } else { paging.page };
    let body = ListResponse { data, meta: ListMeta { total, page, per_page: paging.per_page, next_cursor } };
    HttpResponse::Ok()
        .insert_header((header::LINK, links.join(", ")))
        .insert_header(("X-Total-Count", total.to_string()))
        .json(body)
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

/// Turns every error response that is not already problem+json (actix's plain-text defaults,
/// middleware rejections) into one, keeping its status and headers.
pub async fn problem_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            // An error raised by an inner middleware: the dispatcher renders it, as problem+json.
            let response = err.error_response();
            if is_problem(response.headers()) {
                return Err(err);
            }
            return Err(StatusProblem { status: response.status(), detail: err.to_string() }.into());
        }
    };
    let status = res.status();
    if status.as_u16() < 400 || is_problem(res.headers()) {
        return Ok(res);
    }
    // An extractor of actix's own (`web::Bytes`) that failed to read the body.
    if let Some(payload_error) = res.response().error().and_then(|e| e.as_error::<actix_web::error::PayloadError>()) {
        let error = guard::body_read_error(payload_error);
        let (req, _) = res.into_parts();
        return Ok(ServiceResponse::new(req, actix_web::ResponseError::error_response(&error)));
    }
    let (req, response) = res.into_parts();
    let headers = response.headers().clone();
    let text = actix_web::body::to_bytes_limited(response.into_body(), 2048)
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let detail = text.unwrap_or_else(|| default_detail(status).to_owned());
    let problem = problem_for(status, kind_for_status(status), detail, vec![]);
    let mut new = problem_response(HttpResponse::build(status), &problem);
    for (name, value) in headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(req, new))
}

/// An error of any status, rendered as a problem document.
#[derive(Debug)]
struct StatusProblem {
    status: StatusCode,
    detail: String,
}

impl std::fmt::Display for StatusProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl actix_web::ResponseError for StatusProblem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let problem = problem_for(self.status, kind_for_status(self.status), self.detail.clone(), vec![]);
        problem_response(HttpResponse::build(self.status), &problem)
    }
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

fn default_detail(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "No resource exists at this URL.",
        405 => "This URL does not accept this method.",
        413 => "The request body is too large.",
        429 => "Too many requests; wait before trying again.",
        s if s >= 500 => "An unexpected error occurred; it has been logged.",
        _ => "The request could not be processed.",
    }
}

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
    let encoding = res.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let etag = res.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let (Some(encoding), Some(etag)) = (encoding, etag) {
        let marked = format!("\"{}-{encoding}\"", etag.trim_matches('"'));
        if let Ok(value) = HeaderValue::from_str(&marked) {
            res.headers_mut().insert(header::ETAG, value);
        }
    }
    Ok(res)
}

/// The application's default service: 405 with `Allow` when the path exists under another method,
/// otherwise 404.
pub async fn fallback(req: HttpRequest, routes: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    let allowed = routes.methods_for(req.path());
    Err(if allowed.is_empty() {
        ApiError::NotFound(format!("No resource exists at {}.", req.path()))
    } else {
        ApiError::MethodNotAllowed {
            detail: format!("{} does not accept {}; it accepts {}.", req.path(), req.method(), allowed.join(", ")),
            allow: allowed.join(", "),
        }
    })
}

/// Every documented path, its methods, and the query parameters each method takes.
pub struct RouteTable {
    routes: Vec<(actix_router::ResourceDef, Vec<MethodParams>)>,
}

/// A method and the names of the query parameters it takes.
type MethodParams = (String, Vec<String>);

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = crate::openapi::query_parameters_of(item);
                if let Some((_, params)) = methods.iter().find(|(m, _)| m == "GET") {
                    let params = params.clone();
                    methods.push(("HEAD".into(), params));
                }
                methods.sort();
                (actix_router::ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self { routes }
    }

    pub fn methods_for(&self, path: &str) -> Vec<String> {
        let mut methods: Vec<String> = self
            .routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, m)| m.iter().map(|(method, _)| method.clone()))
            .collect();
        methods.sort();
        methods.dedup();
        methods
    }

    /// The query parameters a documented route takes, or `None` for routes outside the document.
    pub fn query_parameters(&self, method: &str, path: &str) -> Option<&[String]> {
        self.routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, methods)| methods.iter())
            .find(|(m, _)| m == method)
            .map(|(_, params)| params.as_slice())
    }
}

/// Refuses (400) query parameters that the OpenAPI document does not list for the route, so that a
/// typo in a filter is an error rather than an unfiltered answer, on every endpoint alike.
pub async fn query_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(error) = unknown_query_parameter(&req) {
        return Err(error.into());
    }
    next.call(req).await
}

fn unknown_query_parameter(req: &ServiceRequest) -> Option<ApiError> {
    if req.query_string().is_empty() {
        return None;
    }
    let routes = req.app_data::<web::Data<RouteTable>>()?;
    let allowed = routes.query_parameters(req.method().as_str(), req.path())?;
    let name = req
        .query_string()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split('=').next().unwrap_or(""))
        .find(|name| !allowed.iter().any(|a| a == name))?;
    let name = percent_decode(name);
    let error = FieldError::new(name.clone(), "unknown_parameter", "is not a parameter of this endpoint");
    let detail = if allowed.is_empty() {
        format!("This endpoint takes no query parameters; `{name}` was given.")
    } else {
        format!("`{name}` is not a parameter of this endpoint; it takes {}.", allowed.join(", "))
    };
    Some(ApiError::BadRequestFields { detail, errors: vec![error] })
}

fn percent_decode(text: &str) -> String {
    serde_html_form::from_str::<Vec<(String, String)>>(&format!("{text}="))
        .ok()
        .and_then(|pairs| pairs.into_iter().next().map(|(k, _)| k))
        .unwrap_or_else(|| text.to_owned())
}

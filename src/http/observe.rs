//! The outermost layer: every request gets an id (`X-Request-Id` on its response), one access log
//! line, and its count and latency in the metrics, whoever answered it (a handler, the response
//! cache, or an error on the way).

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use log::Level;
use rand::Rng;

use crate::metrics::{self, Metrics};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the observing layer needs: the metrics to count into (none when turned off), and whether
/// a proxy in front is trusted to give the client's address and the request id.
#[derive(Clone)]
pub struct Observe {
    pub metrics: Option<Arc<Metrics>>,
    pub trust_proxy: bool,
}

/// The request's id, in its extensions for anything that logs on its behalf.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The route template the request matched (`None`: no route), found once here and kept in the
/// request's extensions for the layers inside (the response cache).
#[derive(Debug, Clone)]
pub struct MatchedRoute(pub Option<String>);

impl MatchedRoute {
    /// The template of `req`: as this layer found it, or (outside it) found now.
    pub fn of(req: &ServiceRequest) -> Option<String> {
        match req.extensions().get::<MatchedRoute>() {
            Some(found) => found.0.clone(),
            None => req.match_pattern(),
        }
    }
}

/// An id from a trusted proxy is kept when it is short and plain (letters, digits, `-_.:@`).
fn acceptable_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.:@".contains(c);
    (!text.is_empty() && text.len() <= 128 && text.chars().all(plain)).then(|| text.to_owned())
}

/// 128 random bits, as 32 hex digits.
fn new_request_id() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

/// Methods as a metric label: the standard ones, everything else as `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let settings = req.app_data::<web::Data<Observe>>().map(|o| o.get_ref().clone());
    let trust_proxy = settings.as_ref().is_some_and(|s| s.trust_proxy);
    let metrics = settings.and_then(|s| s.metrics);
    let request_id = trust_proxy
        .then(|| req.headers().get(&X_REQUEST_ID).and_then(acceptable_id))
        .flatten()
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = method_label(req.method());
    let route = req.match_pattern();
    req.extensions_mut().insert(MatchedRoute(route.clone()));
    let logging = log::log_enabled!(target: "muni::request", Level::Info);
    let line = logging.then(|| {
        let info = req.connection_info();
        let client = if trust_proxy { info.realip_remote_addr() } else { info.peer_addr() };
        (client.unwrap_or("-").to_owned(), req.path().to_owned(), req.query_string().to_owned(), req.version())
    });
    let _in_flight = metrics.as_ref().map(|m| m.request_started());

    let result = next.call(req).await;

    let (status, bytes) = match &result {
        Ok(res) => (res.status(), res.response().body().size()),
        // Rendered by the server after this layer (without the request id header).
        Err(e) => (e.as_response_error().status_code(), BodySize::Stream),
    };
    let elapsed = started.elapsed();
    let route = route.as_deref().unwrap_or(metrics::UNMATCHED);
    if let Some(metrics) = &metrics {
        metrics.observe_request(method, route, status.as_str(), elapsed);
    }
    if let Some((client, path, query, version)) = line {
        log_request(&client, method, route, &path, &query, version, status, bytes, elapsed, &request_id);
    }
    let mut res = result?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    Ok(res)
}

/// One line per request: as text, `client "METHOD /path?query HTTP/1.1" status bytes duration id`;
/// as JSON (`MUNI_LOG_FORMAT=json`), each part its own field.
#[allow(clippy::too_many_arguments)]
fn log_request(
    client: &str,
    method: &str,
    route: &str,
    path: &str,
    query: &str,
    version: actix_web::http::Version,
    status: StatusCode,
    bytes: BodySize,
    elapsed: std::time::Duration,
    request_id: &str,
) {
    let duration_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
    let bytes = match bytes {
        BodySize::Sized(n) => Some(n),
        BodySize::None => Some(0),
        BodySize::Stream => None,
    };
    let separator = if query.is_empty() { "" } else { "?" };
    log::info!(
        target: "muni::request",
        method = method, route = route, path = path, status = status.as_u16(), bytes = bytes,
        duration_ms = duration_ms, request_id = request_id, client = client;
        "{client} \"{method} {path}{separator}{query} {version:?}\" {} {} {duration_ms}ms {request_id}",
        status.as_u16(),
        bytes.map_or("-".to_owned(), |n| n.to_string()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxys_request_id_is_kept_only_when_short_and_plain() {
        let id = |s: &str| acceptable_id(&HeaderValue::from_str(s).unwrap());
        assert_eq!(id("req-42.a_b:c@d").as_deref(), Some("req-42.a_b:c@d"));
        assert_eq!(id(""), None);
        assert_eq!(id("a b"), None);
        assert_eq!(id("<script>"), None);
        assert_eq!(id(&"x".repeat(129)), None);
        assert_eq!(new_request_id().len(), 32);
        assert_ne!(new_request_id(), new_request_id());
    }
}

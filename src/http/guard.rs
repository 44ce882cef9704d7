//! What every request passes before a handler sees it, whatever the route: control characters
//! refused in the path and the query, a deadline on reading the body (slow clients must not hold a
//! connection for minutes), and the headers a public API sends on every response.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::rt::time::{Instant, Sleep, sleep_until};
use actix_web::{HttpMessage, web};
use futures_util::Stream;

use crate::error::{ApiError, FieldError};

/// How long a client may take to send a request's body, counted from the request's head.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// Whether a character is a control character that no input of ours may hold: C0 controls and DEL.
/// `allow_whitespace` keeps tab, line feed and carriage return (text areas send them).
pub fn is_forbidden_control(c: char, allow_whitespace: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => !allow_whitespace,
        c => c.is_ascii_control(),
    }
}

/// Refuses (400) a path or query that holds a control character once percent-decoded: PostgreSQL
/// rejects NUL in text (a 500 if it got that far), and no key, slug, code or filter needs them.
/// Also gives the body a deadline (see [`BodyDeadline`]).
pub async fn input_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Refusals are responses, not errors, so that the layers around add their headers to them.
    if has_encoded_control(req.path().as_bytes()) {
        let error = ApiError::BadRequest("The URL path holds a control character.".into());
        return Ok(req.error_response(error).map_into_right_body());
    }
    if let Some(name) = control_in_query(req.query_string()) {
        let error = ApiError::BadRequestFields {
            detail: format!("The query parameter `{name}` holds a control character."),
            errors: vec![FieldError::new(name, "invalid_characters", "must not contain control characters")],
        };
        return Ok(req.error_response(error).map_into_right_body());
    }
    if let Some(deadline) = req.app_data::<web::Data<BodyDeadline>>().map(|d| d.0)
        && has_body(&req)
    {
        let payload = req.take_payload();
        let timed = TimedPayload { inner: payload, deadline: Box::pin(sleep_until(Instant::now() + deadline)) };
        req.set_payload(Payload::Stream { payload: Box::pin(timed) });
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn has_body(req: &ServiceRequest) -> bool {
    req.headers().contains_key(header::TRANSFER_ENCODING)
        || req.headers().get(header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0")
}

/// Whether percent-decoding `raw` gives a control byte.
fn has_encoded_control(raw: &[u8]) -> bool {
    has_encoded_control_but(raw, false)
}

/// Whether percent-decoding `raw` gives a control byte, tab and line breaks allowed or not.
fn has_encoded_control_but(raw: &[u8], allow_whitespace: bool) -> bool {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut i = 0;
    while i < raw.len() {
        let byte = match raw[i] {
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    i += 2;
                    h * 16 + l
                }
                _ => b'%',
            },
            b => b,
        };
        if is_forbidden_control(byte as char, allow_whitespace) {
            return true;
        }
        i += 1;
    }
    false
}

/// The name of the first query parameter whose name or value holds a control character.
pub fn control_in_query(query: &str) -> Option<String> {
    first_pair_with_control(query, false, "query")
}

/// The name of the first `name=value` pair of `encoded` whose name or value holds a forbidden
/// control character; `unnamed` when the name itself holds one.
fn first_pair_with_control(encoded: &str, allow_whitespace: bool, unnamed: &str) -> Option<String> {
    encoded.split('&').find(|pair| has_encoded_control_but(pair.as_bytes(), allow_whitespace)).map(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        if has_encoded_control(name.as_bytes()) { unnamed.to_owned() } else { name.to_owned() }
    })
}

/// The name of the first field of a form-encoded body whose name or value holds a control character
/// other than a tab or a line break (a form's text area sends those).
pub fn control_in_form(form: &str) -> Option<String> {
    first_pair_with_control(form, true, "form")
}

/// A request body that fails with a time-out once its deadline has passed.
struct TimedPayload {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
}

impl Stream for TimedPayload {
    type Item = Result<web::Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body was not received in time",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Maps a failure to read the body: past the deadline a 408, otherwise a 400.
pub fn body_read_error(e: &PayloadError) -> ApiError {
    match e {
        PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => ApiError::RequestTimeout(
            "The request body was not received in time; send it at once, or in fewer, larger pieces.".into(),
        ),
        PayloadError::Overflow => {
            ApiError::PayloadTooLarge("The request body is larger than this endpoint's limit.".into())
        }
        other => ApiError::BadRequest(format!("The request body could not be read: {other}.")),
    }
}

/// Headers every response carries: no content sniffing, no referrer sent on, and for the
/// interactive docs (the only HTML we serve) a content security policy that allows our own
/// scripts and styles only.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let is_docs = req.path().starts_with("/docs");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY"));
    let policy = if is_docs {
        // Swagger UI's bundle sets inline styles and loads its own images as data URLs.
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    } else {
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    Ok(res)
}

/// Field paths of every string (or object key) in a JSON document that holds a control character
/// other than tab, line feed and carriage return; empty for most documents, which the byte scan
/// [`json_may_hold_controls`] clears without parsing.
pub fn json_control_fields(body: &[u8]) -> Vec<String> {
    if !json_may_hold_controls(body) {
        return vec![];
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else { return vec![] };
    value_control_fields(&value)
}

/// Field paths of every string (or object key) in a JSON value that holds a control character
/// other than tab, line feed and carriage return.
pub fn value_control_fields(value: &serde_json::Value) -> Vec<String> {
    let mut found = vec![];
    walk(value, String::new(), &mut found);
    found
}

fn walk(value: &serde_json::Value, path: String, found: &mut Vec<String>) {
    let bad = |s: &str| s.chars().any(|c| is_forbidden_control(c, true));
    let at = |path: &str| if path.is_empty() { "body".to_owned() } else { path.to_owned() };
    match value {
        serde_json::Value::String(s) if bad(s) => found.push(at(&path)),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), found);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                if bad(key) {
                    found.push(at(&path));
                } else {
                    walk(item, child, found);
                }
            }
        }
        _ => {}
    }
}

/// Whether a JSON text has an escape that decodes to a forbidden control character (`\u0000`,
/// `\b`, `\f`, ...). Raw control bytes are already a syntax error in JSON strings.
fn json_may_hold_controls(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'\\' && i + 1 < body.len() {
            match body[i + 1] {
                b'b' | b'f' => return true,
                b'u' if i + 5 < body.len() => {
                    let code =
                        std::str::from_utf8(&body[i + 2..i + 6]).ok().and_then(|h| u32::from_str_radix(h, 16).ok());
                    if code.and_then(char::from_u32).is_some_and(|c| is_forbidden_control(c, true)) {
                        return true;
                    }
                }
                _ => {}
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_controls_are_found_in_paths_and_queries() {
        assert!(has_encoded_control(b"/api/v1/sites/a%00"));
        assert!(has_encoded_control(b"/a%7f"));
        assert!(has_encoded_control(b"/a%0A"));
        assert!(!has_encoded_control(b"/api/v1/sites/a%20b%C3%A2"));
        assert!(!has_encoded_control(b"/a%"));
        assert!(!has_encoded_control(b"/a%0"));
        assert_eq!(control_in_query("site=a%00&page=1").as_deref(), Some("site"));
        assert_eq!(control_in_query("a%01=1").as_deref(), Some("query"));
        assert_eq!(control_in_query("q=d%C3%A2n+v%E1%BA%ADn"), None);
        assert_eq!(control_in_form("description=line%0D%0Aline%09tab&x=1"), None);
        assert_eq!(control_in_form("description=a%00b").as_deref(), Some("description"));
        assert_eq!(control_in_form("a%01=1").as_deref(), Some("form"));
    }

    #[test]
    fn json_escapes_of_controls_are_found_with_their_paths() {
        assert_eq!(json_control_fields(br#"{"name": "Cat\u0000nul"}"#), vec!["name"]);
        assert_eq!(json_control_fields(br#"{"a": {"b": ["x", "y\by"]}}"#), vec!["a.b[1]"]);
        assert!(json_control_fields(br#"{"body": "line\nline\ttab\r", "t": "\\u0000 is text"}"#).is_empty());
        assert_eq!(json_control_fields(br#"{"a": "\u007f", "b": "\u0001"}"#), vec!["a", "b"]);
    }
}

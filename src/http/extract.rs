//! Extractors for request bodies and queries that answer problem+json: JSON bodies (415, 400,
//! 413, 422 by field path), query parameters (400 naming the parameter), and the parsing they share.

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::guard;
use crate::error::{ApiError, FieldError};

/// The largest JSON body a route accepts; routes that take more set their own with `app_data`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

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
        let syntax_error = serde_json::from_slice::<serde::de::IgnoredAny>(body).err();
        if inner.is_data() && syntax_error.is_none() {
            let first = field_error_from_serde(&path, &inner.to_string());
            // Each repair reads the body again: only forms of a modest size get them all.
            match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(value) if body.len() <= MAX_COLLECTED_BODY => {
                    ApiError::Validation(all_field_errors::<T>(value, first))
                }
                _ => ApiError::Validation(vec![first]),
            }
        } else {
            let syntax = syntax_error.map_or(inner.to_string(), |e| e.to_string());
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

/// The largest body whose field errors are all collected (see [`all_field_errors`]); a bigger one
/// is answered with its first.
const MAX_COLLECTED_BODY: usize = 64 * 1024;

/// Every field error of a well-formed body that does not fit `T`, in one answer: after each error
/// the body is repaired (an unknown field removed, a missing or mistyped one given a placeholder of
/// the first shape that gets past it) and read again, so that a form learns all its faults at once
/// instead of one per round trip. Faults inside a placeholder are the placeholder's, not the
/// client's, and are not reported.
fn all_field_errors<T: DeserializeOwned>(mut value: serde_json::Value, first: FieldError) -> Vec<FieldError> {
    const PLACEHOLDERS: [fn() -> serde_json::Value; 5] = [
        || serde_json::Value::String(String::new()),
        || serde_json::Value::Bool(false),
        || serde_json::json!(0),
        || serde_json::json!({}),
        || serde_json::json!([]),
    ];
    let mut errors = vec![first];
    let mut placeholders: Vec<String> = vec![];
    for _ in 0..64 {
        let Some(error) = errors.last().cloned() else { break };
        let mut repaired = false;
        if error.code == "unknown_field" {
            repaired = with_slot(&mut value, &error.field, |object, key| object.remove(key).is_some());
        } else if matches!(error.code.as_str(), "required" | "invalid_type" | "invalid_value") {
            let mut candidates: Vec<serde_json::Value> = PLACEHOLDERS.iter().map(|make| make()).collect();
            let mut tried = 0;
            while tried < candidates.len() && tried < 8 {
                let mut candidate = value.clone();
                let placeholder = candidates[tried].clone();
                tried += 1;
                if !with_slot(&mut candidate, &error.field, |object, key| {
                    object.insert(key.to_owned(), placeholder);
                    true
                }) {
                    break;
                }
                match next_error::<T>(&candidate) {
                    Some(next) if next.field == error.field => {
                        // An enum names its variants: the first one gets past it.
                        if let Some(variant) = first_variant(&next.message) {
                            candidates.insert(tried, serde_json::Value::String(variant));
                        }
                    }
                    _ => {
                        value = candidate;
                        placeholders.push(error.field.clone());
                        repaired = true;
                        break;
                    }
                }
            }
        }
        if !repaired {
            break;
        }
        match next_error::<T>(&value) {
            None => break,
            Some(next) if errors.iter().any(|e| e.field == next.field) => break,
            Some(next) => errors.push(next),
        }
    }
    errors.retain(|e| {
        !placeholders.iter().any(|p| e.field.starts_with(&format!("{p}.")) || e.field.starts_with(&format!("{p}[")))
    });
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    errors.dedup_by(|a, b| a.field == b.field);
    errors
}

/// The first variant serde lists in "unknown variant `x`, expected one of `a`, `b`" (or "expected `a`").
fn first_variant(message: &str) -> Option<String> {
    let expected = message.split("expected").nth(1)?;
    expected.split('`').nth(1).map(str::to_owned)
}

fn next_error<T: DeserializeOwned>(value: &serde_json::Value) -> Option<FieldError> {
    serde_path_to_error::deserialize::<_, T>(value.clone()).err().map(|err| {
        let path = err.path().to_string();
        field_error_from_serde(&path, &err.into_inner().to_string())
    })
}

/// Runs `f` on the object that holds the field at `path` (`a.b[0].c`) and the field's key.
fn with_slot(
    value: &mut serde_json::Value,
    path: &str,
    f: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>, &str) -> bool,
) -> bool {
    let mut segments: Vec<&str> = path.split('.').collect();
    let Some(last) = segments.pop() else { return false };
    if last.contains('[') {
        return false;
    }
    let mut at = value;
    for segment in segments {
        let (name, indexes) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        let Some(next) = at.get_mut(name) else { return false };
        at = next;
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let Ok(i) = index.trim_end_matches(']').parse::<usize>() else { return false };
            let Some(next) = at.get_mut(i) else { return false };
            at = next;
        }
    }
    match at.as_object_mut() {
        Some(object) => f(object, last),
        None => false,
    }
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

/// A revision's restorable content as a resource's change request (`UpdateArticle`, ...): 409
/// when it no longer reads as one.
pub fn from_revision<T: serde::de::DeserializeOwned>(
    content: &serde_json::Map<String, serde_json::Value>,
) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::Object(content.clone()))
        .map_err(|e| ApiError::Conflict(format!("This revision cannot be restored as it is ({e}).")))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Form {
        title: String,
        count: u32,
        kind: Kind,
        person: Person,
        people: Vec<Person>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Person {
        name: String,
        role: Kind,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Comment,
        Proposal,
    }

    fn errors(body: &str) -> Vec<String> {
        match parse_json::<Form>(body.as_bytes()) {
            Err(ApiError::Validation(errors)) => {
                errors.into_iter().map(|e| format!("{}:{}", e.field, e.code)).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_fault_of_a_form_comes_in_one_answer() {
        assert_eq!(
            errors("{}"),
            ["count:required", "kind:required", "people:required", "person:required", "title:required"]
        );
        assert_eq!(
            errors(
                r#"{"title": 1, "count": -1, "kind": "other", "person": {"name": "A"}, "people": [{"role": "x"}], "z": 0}"#
            ),
            [
                "count:invalid_value",
                "kind:invalid_value",
                "people[0].name:required",
                "people[0].role:invalid_value",
                "person.role:required",
                "title:invalid_type",
                "z:unknown_field"
            ]
        );
        let big = format!(r#"{{"title": "{}"}}"#, "x".repeat(MAX_COLLECTED_BODY));
        assert_eq!(errors(&big).len(), 1, "a big body gets its first fault only");
    }
}

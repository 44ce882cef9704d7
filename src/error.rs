//! One error type for the whole API, answered as RFC 9457 `application/problem+json`.
//!
//! Handlers return `Result<_, ApiError>`; extractor failures (bad JSON, bad query, bad path) and
//! actix's own errors (unknown route, wrong method, oversize body) are turned into the same shape
//! by [`crate::http`]. A 5xx logs its cause and never sends it to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document: the body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:muni:problem:validation",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "The request body has 1 invalid field.",
    "errors": [{"field": "email", "code": "invalid_format", "message": "must be an email address"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:muni:problem:<kind>`); stable, for programs.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short, human-readable summary of the kind of problem (the HTTP reason phrase, in the
    /// language of the answer).
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, in English, or in Vietnamese when `Accept-Language`
    /// prefers `vi`.
    pub detail: String,
    /// For validation failures: one entry per invalid field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The field's name or JSON path (`submitter.email`), or a query parameter's name.
    pub field: String,
    /// A stable machine word for the failure: `required`, `too_long`, `too_short`,
    /// `invalid_format`, `invalid_value`, `invalid_type`, `invalid_characters`, `not_unique`,
    /// `not_found`, `unknown_field`, `unknown_parameter`.
    pub code: String,
    /// The failure, for people: English, or Vietnamese when `Accept-Language` prefers `vi`.
    /// Programs read `code`.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.to_owned(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{detail}")]
    BadRequestFields { detail: String, errors: Vec<FieldError> },
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: String },
    #[error("{0}")]
    Conflict(String),
    /// A unique value is taken: 409 with a `not_unique` field error.
    #[error("{field} is already taken")]
    NotUnique { field: String },
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body did not arrive before the request's deadline.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_secs: u64 },
    /// The database or another dependency is down; the cause is logged, not sent.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; the cause is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    /// The machine name of the problem, the last part of its `type` URI.
    fn kind(&self) -> &'static str {
        match self {
            Self::BadRequest(_) | Self::BadRequestFields { .. } => "bad-request",
            Self::Validation(_) => "validation",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::MethodNotAllowed { .. } => "method-not-allowed",
            Self::Conflict(_) | Self::NotUnique { .. } => "conflict",
            Self::PreconditionFailed(_) => "precondition-failed",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::RequestTimeout(_) => "request-timeout",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::TooManyRequests { .. } => "rate-limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            Self::Validation(errors) => {
                let n = errors.len();
                let detail = format!("The request has {n} invalid field{}.", if n == 1 { "" } else { "s" });
                (detail, errors.clone())
            }
            Self::BadRequestFields { detail, errors } => (detail.clone(), errors.clone()),
            Self::NotUnique { field } => (
                format!("Another record already has this {field}."),
                vec![FieldError::new(field.clone(), "not_unique", format!("{field} is already taken"))],
            ),
            Self::Unavailable(_) => ("The service is temporarily unavailable; try again shortly.".to_owned(), vec![]),
            Self::Internal(_) => ("An unexpected error occurred; it has been logged.".to_owned(), vec![]),
            other => (other.to_string(), vec![]),
        };
        problem_for(status, self.kind(), detail, errors)
    }
}

/// The reason phrase of a status as RFC 9110 names it (the `http` crate still has the RFC 7231
/// names of 413 and 422).
pub fn reason_phrase(status: StatusCode) -> &'static str {
    match status.as_u16() {
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// A problem document for a status, with the standard reason phrase as its title.
pub fn problem_for(status: StatusCode, kind: &str, detail: String, errors: Vec<FieldError>) -> Problem {
    Problem {
        problem_type: format!("urn:muni:problem:{kind}"),
        title: reason_phrase(status).to_owned(),
        status: status.as_u16(),
        detail,
        errors,
    }
}

/// The machine name for a bare status, used when actix or a middleware produced the error.
pub fn kind_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        408 => "request-timeout",
        409 => "conflict",
        412 => "precondition-failed",
        413 => "payload-too-large",
        415 => "unsupported-media-type",
        422 => "validation",
        429 => "rate-limited",
        503 => "unavailable",
        s if s >= 500 => "internal",
        _ => "client-error",
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::BadRequestFields { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::NotUnique { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => log::error!("internal error: {cause}"),
            Self::Unavailable(cause) => log::error!("service unavailable: {cause}"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            Self::RequestTimeout(_) => {
                // The rest of the body may still be on its way: this connection is done.
                res.insert_header((header::CONNECTION, "close"));
            }
            Self::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"muni\"")));
            }
            Self::MethodNotAllowed { allow, .. } => {
                res.insert_header((header::ALLOW, allow.as_str()));
            }
            Self::TooManyRequests { retry_after_secs, .. } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        problem_response(res, &self.problem())
    }
}

/// Writes a problem document into a response builder, with the problem content type and no caching.
pub fn problem_response(mut builder: actix_web::HttpResponseBuilder, problem: &Problem) -> HttpResponse {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    builder
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => ApiError::NotFound("not found".into()),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                log::info!("unique violation: {}", info.message());
                ApiError::Conflict("a record with the same unique value already exists".into())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                log::info!("foreign key violation: {}", info.message());
                ApiError::Conflict("the record is referenced by, or references, a record that does not allow it".into())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                ApiError::Unavailable(format!("database connection closed: {}", info.message()))
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("database is locked") || info.message().contains("statement timeout") =>
            {
                ApiError::Unavailable(format!("database busy: {}", info.message()))
            }
            other => ApiError::Internal(format!("database error: {other}")),
        }
    }
}

/// Turns a unique violation into a 409 that names the field, leaving other errors as they are.
pub fn unique_as(field: &'static str) -> impl Fn(DieselError) -> ApiError {
    move |e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            ApiError::NotUnique { field: field.to_owned() }
        }
        other => other.into(),
    }
}

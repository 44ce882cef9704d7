//! problem+json for every error response, whoever produced it (actix, middleware, handlers).

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;

use super::guard;
use crate::error::{PROBLEM_JSON, kind_for_status, problem_for, problem_response};

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

//! problem+json for every error response, whoever produced it (actix, middleware, handlers), in
//! the language the request asks for.

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

use super::guard;
use crate::error::{PROBLEM_JSON, Problem, kind_for_status, problem_for, problem_response};
use crate::i18n::{Language, translate_problem};

/// Turns every error response that is not already problem+json (actix's plain-text defaults,
/// middleware rejections) into one, keeping its status and headers, and writes it in the language
/// of `Accept-Language` (English or Vietnamese; `Content-Language` says which, `Vary` says why).
pub async fn problem_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let language = Language::negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            // An error raised by an inner middleware (CORS refusing a preflight): the dispatcher
            // renders it, as problem+json, in English (the request is gone by now).
            let response = err.error_response();
            if is_problem(response.headers()) {
                return Err(err);
            }
            return Err(StatusProblem { status: response.status(), detail: err.to_string() }.into());
        }
    };
    let res = as_problem(res).await;
    if res.status().as_u16() < 400 {
        return Ok(res);
    }
    Ok(in_language(res, language).await)
}

async fn as_problem(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if status.as_u16() < 400 || is_problem(res.headers()) {
        return res;
    }
    // An extractor of actix's own (`web::Bytes`) that failed to read the body.
    if let Some(payload_error) = res.response().error().and_then(|e| e.as_error::<actix_web::error::PayloadError>()) {
        let error = guard::body_read_error(payload_error);
        let (req, _) = res.into_parts();
        return ServiceResponse::new(req, actix_web::ResponseError::error_response(&error));
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
    ServiceResponse::new(req, new)
}

/// A problem document rewritten in `language`; its headers kept.
async fn in_language(res: ServiceResponse<BoxBody>, language: Language) -> ServiceResponse<BoxBody> {
    let (req, mut response) = res.into_parts();
    response.headers_mut().append(header::VARY, HeaderValue::from_static("Accept-Language"));
    response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(language.tag()));
    if language == Language::English || !is_problem(response.headers()) {
        return ServiceResponse::new(req, response);
    }
    let (head, body) = response.into_parts();
    let Ok(Ok(bytes)) = actix_web::body::to_bytes_limited(body, 256 * 1024).await else {
        return ServiceResponse::new(req, head.set_body(BoxBody::new(())));
    };
    let body = match serde_json::from_slice::<Problem>(&bytes) {
        Ok(mut problem) => {
            translate_problem(&mut problem, language);
            serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    let mut response = head.set_body(BoxBody::new(body));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    ServiceResponse::new(req, response)
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

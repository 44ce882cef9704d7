//! Open311 GeoReport v2 over the same data (JSON here, XML in `open311_xml`): topics are services, published submissions are
//! service requests. No GET ever carries personal data; a POST creates feedback as the public
//! endpoint does (rate-limited, with consent as a required attribute).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{FeedbackStatus, TopicRow};
use super::published::to_published;
use super::repo::{self, PublishedFilter};
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::http::Paging;
use crate::limits::RateLimited;
use crate::state::AppState;

/// An Open311 service: a feedback topic.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Always true: the consent attributes are required.
    pub metadata: bool,
    /// Always `batch`: requests are handled by staff, not in real time.
    #[serde(rename = "type")]
    pub service_type: String,
    pub keywords: String,
    pub group: String,
}

/// An attribute of a service definition.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceAttribute {
    pub variable: bool,
    pub code: String,
    pub datatype: String,
    pub required: bool,
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// An Open311 service definition.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<ServiceAttribute>,
}

/// An Open311 service request: a published submission. Never personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceRequest {
    /// The tracking code.
    pub service_request_id: String,
    /// `open` (received, in progress) or `closed` (answered, rejected, forwarded).
    pub status: String,
    /// The public reply.
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    /// The ward, or the body it was forwarded to.
    pub agency_responsible: String,
    pub service_notice: String,
    pub requested_datetime: DateTime<Utc>,
    pub updated_datetime: Option<DateTime<Utc>>,
    pub expected_datetime: Option<DateTime<Utc>>,
    pub address: Option<String>,
    pub media_url: Option<String>,
}

/// The answer to a created request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedRequest {
    pub service_request_id: String,
    pub service_notice: String,
    /// The secret to track the request at `/api/v1/feedback/track/{service_request_id}`.
    pub token: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestsQuery {
    /// Comma-separated tracking codes.
    pub service_request_id: Option<String>,
    /// Only requests of this service (a feedback topic's code).
    pub service_code: Option<String>,
    /// Requested at or after.
    pub start_date: Option<DateTime<Utc>>,
    /// Requested at or before.
    pub end_date: Option<DateTime<Utc>>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Ignored: this server needs no key for reads.
    pub jurisdiction_id: Option<String>,
}

fn site_name(conn: &mut DbConn, site_id: i64) -> Result<String, ApiError> {
    Ok(crate::sites::find_site_by_id(conn, site_id)?.map(|s| s.name).unwrap_or_default())
}

fn service(row: &TopicRow) -> Service {
    Service {
        service_code: row.code.clone(),
        service_name: row.name.clone(),
        description: row.description.clone(),
        metadata: true,
        service_type: "batch".into(),
        keywords: String::new(),
        group: "Góp ý".into(),
    }
}

/// The services (feedback topics), as Open311 GeoReport v2.
#[utoipa::path(tag = "open311", responses((status = 200, description = "The services", body = Vec<Service>)))]
#[get("/services.json")]
pub async fn services(state: web::Data<AppState>) -> Result<web::Json<Vec<Service>>, ApiError> {
    Ok(web::Json(load_services(&state).await?))
}

pub(super) async fn load_services(state: &AppState) -> Result<Vec<Service>, ApiError> {
    let rows = db::run(&state.db, |conn| Ok(repo::topics(conn, None, true)?)).await?;
    Ok(rows.iter().map(service).collect())
}

/// A service definition: the attributes a request must carry (the consent).
#[utoipa::path(
    tag = "open311",
    params(("code" = String, Path, description = "The service code")),
    responses(
        (status = 200, description = "The definition", body = ServiceDefinition),
        (status = 404, description = "No such service"),
    )
)]
#[get("/services/{code}.json")]
pub async fn service_definition(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<web::Json<ServiceDefinition>, ApiError> {
    Ok(web::Json(load_definition(&state, code.into_inner()).await?))
}

pub(super) async fn load_definition(state: &AppState, code: String) -> Result<ServiceDefinition, ApiError> {
    let found: Option<String> = db::run(&state.db, move |conn| Ok(repo::active_topic_code(conn, &code)?)).await?;
    let service_code = found.ok_or_else(|| ApiError::not_found("service"))?;
    Ok(ServiceDefinition {
        service_code,
        attributes: vec![
            ServiceAttribute {
                variable: true,
                code: "consent".into(),
                datatype: "singlevaluelist".into(),
                required: true,
                datatype_description: "true to agree".into(),
                order: 1,
                description: "Tôi đồng ý để UBND xử lý dữ liệu cá nhân của tôi để giải quyết góp ý này.".into(),
                values: vec![AttributeValue { key: "true".into(), name: "Đồng ý".into() }],
            },
            ServiceAttribute {
                variable: true,
                code: "consent_notice_version".into(),
                datatype: "string".into(),
                required: true,
                datatype_description: "The version of the privacy notice shown".into(),
                order: 2,
                description: "Phiên bản thông báo về xử lý dữ liệu cá nhân".into(),
                values: vec![],
            },
        ],
    })
}

fn to_requests(conn: &mut DbConn, rows: Vec<super::model::FeedbackRow>) -> Result<Vec<ServiceRequest>, ApiError> {
    let extra: Vec<(i64, Option<String>, DateTime<Utc>)> =
        rows.iter().map(|r| (r.site_id, r.forwarded_to.clone(), r.updated_at.and_utc())).collect();
    let published = to_published(conn, rows)?;
    let mut out = Vec::with_capacity(published.len());
    for (p, (site_id, forwarded_to, updated)) in published.into_iter().zip(extra) {
        let agency = match forwarded_to {
            Some(body) => body,
            None => site_name(conn, site_id)?,
        };
        out.push(ServiceRequest {
            service_request_id: p.tracking_code,
            status: if matches!(p.status, FeedbackStatus::Received | FeedbackStatus::InProgress) {
                "open"
            } else {
                "closed"
            }
            .into(),
            status_notes: p.public_reply,
            service_name: p.topic.name,
            service_code: p.topic.code,
            description: format!("{}\n\n{}", p.title, p.content),
            agency_responsible: agency,
            service_notice: String::new(),
            requested_datetime: p.created_at,
            updated_datetime: Some(updated),
            expected_datetime: None,
            address: None,
            media_url: None,
        });
    }
    Ok(out)
}

/// Service requests: published submissions, newest first (at most 100), filtered as GeoReport says.
#[utoipa::path(tag = "open311", params(RequestsQuery), responses((status = 200, description = "The requests", body = Vec<ServiceRequest>)))]
#[get("/requests.json")]
pub async fn requests(
    state: web::Data<AppState>,
    query: crate::http::ApiQuery<RequestsQuery>,
) -> Result<web::Json<Vec<ServiceRequest>>, ApiError> {
    Ok(web::Json(load_requests(&state, query.0).await?))
}

pub(super) async fn load_requests(state: &AppState, query: RequestsQuery) -> Result<Vec<ServiceRequest>, ApiError> {
    let status = match query.status.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(_) => {
            return Err(ApiError::BadRequestFields {
                detail: "`status` must be open or closed.".into(),
                errors: vec![FieldError::new("status", "invalid_value", "must be open or closed")],
            });
        }
    };
    let codes: Option<Vec<String>> =
        query.service_request_id.as_deref().map(|ids| ids.split(',').map(|c| c.trim().to_uppercase()).collect());
    db::run(&state.db, move |conn| {
        let paging = Paging::new(Some(1), Some(100))?;
        let filter =
            PublishedFilter { topic: query.service_code.as_deref(), codes: codes.as_deref(), ..Default::default() };
        let (rows, _) = repo::published(conn, &filter, paging.offset(), paging.limit())?;
        let rows = rows
            .into_iter()
            .filter(|r| query.start_date.is_none_or(|s| r.created_at.and_utc() >= s))
            .filter(|r| query.end_date.is_none_or(|e| r.created_at.and_utc() <= e))
            .filter(|r| {
                status.is_none_or(|open| {
                    let is_open = !r.status().is_closed();
                    is_open == open
                })
            })
            .collect();
        to_requests(conn, rows)
    })
    .await
}

/// One service request by its id (tracking code), if published.
#[utoipa::path(
    tag = "open311",
    params(("id" = String, Path, description = "The service request id (tracking code)")),
    responses(
        (status = 200, description = "A one-element list, as GeoReport answers", body = Vec<ServiceRequest>),
        (status = 404, description = "No such published request"),
    )
)]
#[get("/requests/{id}.json")]
pub async fn request(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Vec<ServiceRequest>>, ApiError> {
    Ok(web::Json(load_request(&state, id.into_inner()).await?))
}

pub(super) async fn load_request(state: &AppState, id: String) -> Result<Vec<ServiceRequest>, ApiError> {
    let code = id.trim().to_uppercase();
    db::run(&state.db, move |conn| {
        let paging = Paging::new(Some(1), Some(1))?;
        let codes = [code];
        let filter = PublishedFilter { codes: Some(&codes), ..Default::default() };
        let (rows, _) = repo::published(conn, &filter, paging.offset(), paging.limit())?;
        if rows.is_empty() {
            return Err(ApiError::not_found("service request"));
        }
        to_requests(conn, rows)
    })
    .await
}

/// A new service request, form-encoded as GeoReport v2 sends it (JSON is accepted too).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewServiceRequest {
    pub service_code: String,
    pub description: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_string: Option<String>,
    #[serde(rename = "attribute[consent]")]
    pub consent: Option<String>,
    #[serde(rename = "attribute[consent_notice_version]")]
    pub consent_notice_version: Option<String>,
    pub api_key: Option<String>,
    /// The code of the site (ward) the request is for; required where a deployment serves several.
    pub jurisdiction_id: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub media_url: Option<String>,
}

/// Create a service request: feedback of kind `other` about the service's topic. Rate-limited;
/// `attribute[consent]=true` and `attribute[consent_notice_version]` are required.
#[utoipa::path(
    tag = "open311",
    request_body(content = NewServiceRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Created: a one-element list", body = Vec<CreatedRequest>),
        (status = 422, description = "Invalid fields"),
        (status = 429, description = "Too many submissions from this address"),
    )
)]
#[post("/requests.json")]
pub async fn create_request(
    state: web::Data<AppState>,
    limit: RateLimited,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(vec![create(state, limit, &req, &body).await?]))
}

pub(super) async fn create(
    state: web::Data<AppState>,
    limit: RateLimited,
    req: &HttpRequest,
    body: &[u8],
) -> Result<CreatedRequest, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let input: NewServiceRequest = if content_type.starts_with("application/x-www-form-urlencoded") {
        let form = std::str::from_utf8(body).map_err(|_| ApiError::BadRequest("The form is not UTF-8.".into()))?;
        if let Some(field) = crate::http::guard::control_in_form(form) {
            return Err(ApiError::invalid(&field, "invalid_characters", "must not contain control characters"));
        }
        crate::http::parse_query(form).map_err(|e| match e {
            ApiError::BadRequestFields { errors, .. } => ApiError::Validation(errors),
            other => other,
        })?
    } else if content_type.starts_with("application/json") {
        crate::http::parse_json(body)?
    } else {
        return Err(ApiError::UnsupportedMediaType("Send the request form-encoded (or as JSON).".into()));
    };
    let name = [input.first_name.as_deref(), input.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let description = input.description.trim().to_owned();
    let title: String = description.lines().next().unwrap_or("").chars().take(120).collect();
    let submission = super::model::SubmitFeedback {
        kind: super::model::FeedbackKind::Other,
        topic: input.service_code,
        subject: None,
        title,
        content: description,
        submitter: super::model::Submitter {
            submitter_type: super::model::SubmitterType::Person,
            name,
            phone: input.phone,
            email: input.email,
            address: input.address_string,
        },
        consent: input.consent.as_deref() == Some("true"),
        consent_notice_version: input.consent_notice_version.unwrap_or_default(),
        // A deployment of several sites names the ward as the jurisdiction.
        site: input.jurisdiction_id.map(|j| j.trim().to_owned()).filter(|j| !j.is_empty()),
        website: None,
    };
    // Errors name the fields as the client sent them: the site is Open311's jurisdiction.
    let response = super::submit::submit(state, limit, req, submission).await.map_err(|e| match e {
        ApiError::Validation(errors) => ApiError::Validation(
            errors
                .into_iter()
                .map(|mut error| {
                    match error.field.as_str() {
                        "site" => error.field = "jurisdiction_id".into(),
                        "consent" | "consent_notice_version" => error.field = format!("attribute[{}]", error.field),
                        _ => {}
                    }
                    error
                })
                .collect(),
        ),
        other => other,
    })?;
    Ok(CreatedRequest {
        service_request_id: response.tracking_code,
        service_notice: "Góp ý đã được tiếp nhận.".into(),
        token: response.secret,
    })
}

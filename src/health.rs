//! Liveness, readiness and the OpenAPI document.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// The state of the process or of its dependencies.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: String,
    /// The database engine in use: `sqlite` or `postgresql`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// Liveness: the process is up and serving. Never touches the database.
#[utoipa::path(tag = "system", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Health { status: "ok".into(), database: None })
}

/// Readiness: the database answers and every migration is applied.
#[utoipa::path(
    tag = "system",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unreachable, missing or not migrated"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let engine = db.url.engine();
    let check = web::block(move || db.check_ready()).await.map_err(ApiError::internal)?;
    match check {
        Ok(()) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(Health { status: "ready".into(), database: Some(engine.into()) })),
        Err(why) => Err(ApiError::Unavailable(why)),
    }
}

/// This OpenAPI document.
#[utoipa::path(tag = "system", responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(state.openapi_json.clone())
}

/// Marks the separate metrics address (`MUNI_METRICS_ADDR`), where `/metrics` needs no token.
#[derive(Debug, Clone, Copy)]
pub struct MetricsListener;

/// Prometheus metrics in the text exposition format: requests by route template, method and
/// status, latency histograms, the connection pool, the response cache, background work, the
/// process and the build (see the README's operations section). On the API's address it needs the
/// token in `MUNI_METRICS_TOKEN`, and answers 404 when none is set; the separate address in
/// `MUNI_METRICS_ADDR` serves it without one.
#[utoipa::path(
    tag = "system",
    security(("metricsToken" = [])),
    responses(
        (status = 200, description = "The metrics (Prometheus text format 0.0.4)", content_type = "text/plain; version=0.0.4; charset=utf-8", body = String),
        (status = 401, description = "No token, or not the one in `MUNI_METRICS_TOKEN` (`WWW-Authenticate: Bearer`)"),
        (status = 404, description = "Metrics are not served on this address: no `MUNI_METRICS_TOKEN` is set, or `MUNI_METRICS=off`"),
    )
)]
#[get("/metrics")]
pub async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let not_here = || ApiError::NotFound("Metrics are not served on this address.".into());
    let metrics = state.metrics.as_ref().ok_or_else(not_here)?;
    if req.app_data::<MetricsListener>().is_none() {
        let token = state.config.metrics_token.as_deref().ok_or_else(not_here)?;
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !crate::crypto::same_secret(given.as_bytes(), token.as_bytes()) {
            return Err(ApiError::Unauthorized("The metrics need the token in MUNI_METRICS_TOKEN.".into()));
        }
    }
    let cache = state.cache.as_ref().map(|c| c.stats());
    let text = metrics.render(&state.db, cache);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(text))
}

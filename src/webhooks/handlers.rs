//! `/api/v1/webhooks`: endpoints (admins of a site), their deliveries, pings and redeliveries.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::address;
use super::model::{
    DeliveryListQuery, EndpointListQuery, EndpointRow, EventType, EventTypeInfo, MAX_URL_LENGTH, NewWebhookEndpoint,
    WebhookDelivery, WebhookDeliveryDetail, WebhookEndpoint, WebhookEndpointChange, WebhookEndpointWithSecret,
    check_fields,
};
use super::repo::{self, EndpointChanges, NewDelivery, NewEndpoint};
use super::signing;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError};
use crate::http::{ApiJson, ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::state::AppState;

/// Endpoints one site may have (one for every site counts against the deployment).
const MAX_ENDPOINTS_PER_SITE: i64 = 20;

/// The endpoint, if this admin may manage it: 404 when it does not exist, 403 when it is another site's.
fn endpoint_for(conn: &mut DbConn, user: &AuthUser, id: i64) -> Result<EndpointRow, ApiError> {
    let row = repo::find_endpoint(conn, id)?.ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    user.require_site(row.site_id)?;
    Ok(row)
}

fn view(conn: &mut DbConn, row: &EndpointRow) -> Result<WebhookEndpoint, ApiError> {
    let site = match row.site_id {
        Some(id) => crate::sites::refs_by_id(conn, vec![id])?.remove(&id),
        None => None,
    };
    let pending = repo::pending_counts(conn, &[row.id])?.remove(&row.id).unwrap_or(0);
    Ok(row.view(site, pending))
}

/// The checked URL (see [`check_url`]), or `None` with its fault put first among `errors`.
async fn checked_url(url: &str, allow_private: bool, errors: &mut Vec<FieldError>) -> Option<String> {
    match check_url(url, allow_private).await {
        Ok(url) => Some(url),
        Err(fault) => {
            errors.insert(0, fault);
            None
        }
    }
}

/// Checks a URL as the worker will: its form, and where its host resolves. A name that does not
/// resolve, or resolves to an internal address, is refused now rather than at every delivery.
async fn check_url(url: &str, allow_private: bool) -> Result<String, FieldError> {
    let url = url.trim();
    let invalid = |message: String| FieldError::new("url", "invalid_value", message);
    if url.len() > MAX_URL_LENGTH {
        return Err(FieldError::new("url", "too_long", format!("must be at most {MAX_URL_LENGTH} characters")));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(format!("is not a URL: {e}")))?;
    if let Some(why) = address::url_refusal(&parsed, allow_private) {
        return Err(invalid(why));
    }
    if let Some(url::Host::Domain(host)) = parsed.host() {
        let port = parsed.port_or_known_default().unwrap_or(443);
        address::resolve_public(host, port, allow_private).await.map_err(invalid)?;
    }
    Ok(parsed.to_string())
}

fn event_types_json(types: &[EventType]) -> String {
    let mut names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    serde_json::to_string(&names).unwrap_or_else(|_| "[]".into())
}

/// Every event type an endpoint can receive, and what it means.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 200, description = "The event types", body = Vec<EventTypeInfo>))
)]
#[get("/webhooks/event-types")]
pub async fn list_event_types(user: AuthUser) -> Result<web::Json<Vec<EventTypeInfo>>, ApiError> {
    user.require(&[Role::Admin])?;
    Ok(web::Json(
        EventType::ALL
            .into_iter()
            .map(|t| EventTypeInfo { name: t, description: t.description().to_owned() })
            .collect(),
    ))
}

/// Register an endpoint (admins). The answer carries its signing secret, once.
#[utoipa::path(
    tag = "webhooks",
    request_body = NewWebhookEndpoint,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered; keep `secret` now", body = WebhookEndpointWithSecret,
            headers(("Location" = String, description = "URL of the new endpoint"))),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<NewWebhookEndpoint>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let input = body.0;
    let mut errors = check_fields(Some(&input.description), Some(&input.event_types));
    let url = checked_url(&input.url, state.config.webhooks.allow_private, &mut errors).await;
    let Some(url) = url.filter(|_| errors.is_empty()) else { return Err(ApiError::Validation(errors)) };
    let secret = signing::new_secret();
    let sealed = state.vault.seal(&secret);
    let created = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let site_id = match input.site.as_deref() {
                Some(code) => Some(
                    crate::sites::find_site(c, code)?
                        .ok_or_else(|| ApiError::invalid("site", "not_found", "no site has this code"))?
                        .id,
                ),
                None => user.site_id,
            };
            user.require_site(site_id)?;
            if let Some(id) = site_id {
                db::lock_row(c, "sites", id)?;
            }
            if repo::count_for_site(c, site_id)? >= MAX_ENDPOINTS_PER_SITE {
                return Err(ApiError::invalid(
                    "site",
                    "limit_reached",
                    format!("has {MAX_ENDPOINTS_PER_SITE} endpoints already: delete one first"),
                ));
            }
            let row = repo::insert_endpoint(
                c,
                &NewEndpoint {
                    site_id,
                    url: &url,
                    description: input.description.trim(),
                    event_types: event_types_json(&input.event_types),
                    secret_sealed: sealed,
                    created_by: user.id,
                },
            )?;
            view(c, &row)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", created.id)))
        .json(WebhookEndpointWithSecret { endpoint: created, secret }))
}

/// The endpoints this admin manages (a site's admins: their site's), oldest first.
#[utoipa::path(
    tag = "webhooks",
    params(EndpointListQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of endpoints", body = ListResponse<WebhookEndpoint>))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    query: ApiQuery<EndpointListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<WebhookEndpoint>(query.fields.as_deref())?;
    let (items, total) = db::run(&state.db, move |conn| {
        let site = match (user.site_id, query.site.as_deref()) {
            (Some(own), _) => Some(Some(own)),
            (None, Some(code)) => Some(Some(
                crate::sites::find_site(conn, code)?
                    .ok_or_else(|| ApiError::BadRequestFields {
                        detail: format!("No site has the code `{code}`."),
                        errors: vec![FieldError::new("site", "not_found", "no site has this code")],
                    })?
                    .id,
            )),
            (None, None) => None,
        };
        let (rows, total) = repo::list_endpoints(conn, site, paging.offset(), paging.limit())?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut pending = repo::pending_counts(conn, &ids)?;
        let sites = crate::sites::refs_by_id(conn, rows.iter().filter_map(|r| r.site_id).collect())?;
        let items = rows
            .iter()
            .map(|r| r.view(r.site_id.and_then(|id| sites.get(&id).cloned()), pending.remove(&r.id).unwrap_or(0)))
            .collect::<Vec<_>>();
        Ok((items, total))
    })
    .await?;
    Ok(list_response(&req, fields.apply(items), total, paging))
}

/// One endpoint.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The endpoint", body = WebhookEndpoint), (status = 404, description = "No such endpoint"))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let found = db::run(&state.db, move |conn| {
        let row = endpoint_for(conn, &user, id)?;
        view(conn, &row)
    })
    .await?;
    Ok(web::Json(found))
}

/// Change an endpoint's URL, description or event types.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    request_body = WebhookEndpointChange,
    security(("bearer" = [])),
    responses((status = 200, description = "The changed endpoint", body = WebhookEndpoint), (status = 404, description = "No such endpoint"))
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<WebhookEndpointChange>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let input = body.0;
    let mut errors = check_fields(input.description.as_deref(), input.event_types.as_deref());
    let url = match &input.url {
        Some(url) => checked_url(url, state.config.webhooks.allow_private, &mut errors).await,
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let changes = EndpointChanges {
        url,
        description: input.description.map(|d| d.trim().to_owned()),
        event_types: input.event_types.as_deref().map(event_types_json),
        updated_at: db::now(),
    };
    let updated = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            endpoint_for(c, &user, id)?;
            let row = repo::update_endpoint(c, id, &changes)?.ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
            view(c, &row)
        })
    })
    .await?;
    Ok(web::Json(updated))
}

/// Delete an endpoint, with its deliveries.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such endpoint"))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            endpoint_for(c, &user, id)?;
            repo::delete_endpoint(c, id)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pause an active endpoint: events are still queued, and sent in order once it is resumed.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Paused", body = WebhookEndpoint),
        (status = 404, description = "No such endpoint"),
        (status = 409, description = "It is not active"),
    )
)]
#[post("/webhooks/{id}/pause")]
pub async fn pause_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let paused = db::run(&state.db, move |conn| {
        endpoint_for(conn, &user, id)?;
        let row = repo::pause(conn, id)?
            .ok_or_else(|| ApiError::Conflict("Only an active endpoint can be paused.".into()))?;
        view(conn, &row)
    })
    .await?;
    Ok(web::Json(paused))
}

/// Resume a paused or disabled endpoint: its pending deliveries are sent at once, in order.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Active again", body = WebhookEndpoint),
        (status = 404, description = "No such endpoint"),
        (status = 409, description = "It is active already"),
    )
)]
#[post("/webhooks/{id}/resume")]
pub async fn resume_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let resumed = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            endpoint_for(c, &user, id)?;
            let row =
                repo::resume(c, id)?.ok_or_else(|| ApiError::Conflict("The endpoint is active already.".into()))?;
            view(c, &row)
        })
    })
    .await?;
    Ok(web::Json(resumed))
}

/// Replace the endpoint's signing secret; the new one is in the answer, once. Deliveries sent
/// from now on are signed with it.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The endpoint and its new secret", body = WebhookEndpointWithSecret),
        (status = 404, description = "No such endpoint"))
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<WebhookEndpointWithSecret>, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let secret = signing::new_secret();
    let sealed = state.vault.seal(&secret);
    let endpoint = db::run(&state.db, move |conn| {
        endpoint_for(conn, &user, id)?;
        let row = repo::set_secret(conn, id, &sealed)?.ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
        view(conn, &row)
    })
    .await?;
    Ok(web::Json(WebhookEndpointWithSecret { endpoint, secret }))
}

/// Send a `webhook.ping` to test the endpoint. It is queued behind the endpoint's pending
/// deliveries (order is kept); follow it in the deliveries.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = WebhookDelivery), (status = 404, description = "No such endpoint"))
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let queued = db::run(&state.db, move |conn| {
        endpoint_for(conn, &user, id)?;
        let message_id = format!("msg_ping_{}", uuid::Uuid::new_v4().simple());
        let payload = signing::ping_payload(id);
        let row = repo::queue(
            conn,
            &NewDelivery {
                endpoint_id: id,
                message_id: &message_id,
                event_type: EventType::Ping,
                change_id: None,
                payload: &payload,
            },
        )?;
        Ok(row.view())
    })
    .await?;
    Ok(HttpResponse::Accepted().json(queued))
}

/// The endpoint's deliveries, newest first.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id"), DeliveryListQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of deliveries", body = ListResponse<WebhookDelivery>),
        (status = 404, description = "No such endpoint"))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: ApiQuery<DeliveryListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<WebhookDelivery>(query.fields.as_deref())?;
    let (items, total) = db::run(&state.db, move |conn| {
        endpoint_for(conn, &user, id)?;
        let (rows, total) =
            repo::list_deliveries(conn, id, query.status, query.event_type, paging.offset(), paging.limit())?;
        Ok((rows.iter().map(|r| r.view()).collect::<Vec<_>>(), total))
    })
    .await?;
    Ok(list_response(&req, fields.apply(items), total, paging))
}

/// One delivery: its body and every attempt with the endpoint's answer.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id"), ("delivery_id" = i64, Path, description = "The delivery's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The delivery", body = WebhookDeliveryDetail), (status = 404, description = "No such delivery"))
)]
#[get("/webhooks/{id}/deliveries/{delivery_id}")]
pub async fn get_delivery(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
) -> Result<web::Json<WebhookDeliveryDetail>, ApiError> {
    user.require(&[Role::Admin])?;
    let (id, delivery_id) = path.into_inner();
    let found = db::run(&state.db, move |conn| {
        endpoint_for(conn, &user, id)?;
        let row = repo::find_delivery(conn, id, delivery_id)?.ok_or_else(|| ApiError::not_found("delivery"))?;
        let attempts = repo::attempts(conn, delivery_id)?.into_iter().map(Into::into).collect();
        Ok(WebhookDeliveryDetail {
            delivery: row.view(),
            payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
            attempts,
        })
    })
    .await?;
    Ok(web::Json(found))
}

/// Send a delivery again (after fixing the receiver): a new delivery of the same message (same
/// `webhook-id` and body), queued behind the endpoint's pending ones.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id"), ("delivery_id" = i64, Path, description = "The delivery's id")),
    security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = WebhookDelivery), (status = 404, description = "No such delivery"))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let (id, delivery_id) = path.into_inner();
    let queued = db::run(&state.db, move |conn| {
        endpoint_for(conn, &user, id)?;
        let row = repo::find_delivery(conn, id, delivery_id)?.ok_or_else(|| ApiError::not_found("delivery"))?;
        let event_type = EventType::parse(&row.event_type).unwrap_or(EventType::Ping);
        let copy = repo::queue(
            conn,
            &NewDelivery {
                endpoint_id: id,
                message_id: &row.message_id,
                event_type,
                change_id: row.change_id,
                payload: &row.payload,
            },
        )?;
        Ok(copy.view())
    })
    .await?;
    Ok(HttpResponse::Accepted().json(queued))
}

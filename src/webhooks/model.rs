//! Webhook endpoints, deliveries and event types: rows, API shapes and the rules that name an
//! event from a change log entry.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use super::events::{EventType, EventTypeInfo};
use crate::changes::{ChangeRow, Position};
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::error::FieldError;
use crate::sites::model::SiteRef;

/// Whether an endpoint receives deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointStatus {
    /// Events are queued and sent.
    Active,
    /// Events are queued and kept; sending resumes, in order, when the endpoint is resumed.
    Paused,
    /// Failed for too long (`disabled_reason` says why): no new events are queued until resumed.
    Disabled,
}

impl EndpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "paused" => Self::Paused,
            "disabled" => Self::Disabled,
            _ => Self::Active,
        }
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting to be sent, or to be retried at `next_attempt_at`.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt of the retry schedule failed.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub id: i64,
    pub site_id: Option<i64>,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub secret_sealed: String,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub retry_at: Option<NaiveDateTime>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub start_tick: i64,
    pub start_id: i64,
}

impl EndpointRow {
    pub fn status(&self) -> EndpointStatus {
        EndpointStatus::parse(&self.status)
    }

    /// The event types it subscribes to; empty: all.
    pub fn event_types(&self) -> Vec<EventType> {
        serde_json::from_str::<Vec<String>>(&self.event_types)
            .unwrap_or_default()
            .iter()
            .filter_map(|name| EventType::parse(name))
            .collect()
    }

    /// Whether an event goes to this endpoint: of its site, of a type it wants, and committed
    /// after it was registered.
    pub fn wants(&self, event: EventType, change: &ChangeRow, types: &[EventType]) -> bool {
        (self.site_id.is_none() || self.site_id == change.site_id)
            && (types.is_empty() || types.contains(&event))
            && change.position() > (Position { tick: self.start_tick, id: self.start_id })
    }

    pub fn view(&self, site: Option<SiteRef>, pending: i64) -> WebhookEndpoint {
        WebhookEndpoint {
            id: self.id,
            site,
            url: self.url.clone(),
            description: self.description.clone(),
            event_types: self.event_types(),
            status: self.status(),
            disabled_reason: self.disabled_reason.clone(),
            failing_since: self.failing_since.map(|t| t.and_utc()),
            pending_deliveries: pending,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// An endpoint that receives the events of a site.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpoint {
    pub id: i64,
    /// The site whose events it receives; null: every site (set by an admin bound to no site).
    pub site: Option<SiteRef>,
    pub url: String,
    pub description: String,
    /// The event types it receives; empty: all of them.
    pub event_types: Vec<EventType>,
    pub status: EndpointStatus,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed; null once one succeeds.
    pub failing_since: Option<DateTime<Utc>>,
    /// Deliveries waiting to be sent.
    pub pending_deliveries: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its signing secret: shown when it is created or its secret is rotated, never again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// The Standard Webhooks signing secret (`whsec_` and base64): verify `webhook-signature` with
    /// it. Keep it now: it is not shown again.
    pub secret: String,
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://phuong.example.vn/api/muni-hook",
    "description": "Rebuild the portal's pages",
    "event_types": ["article.published", "article.updated", "article.unpublished"]
}))]
pub struct NewWebhookEndpoint {
    /// The site whose events it receives, by code; the account's own site when absent (an admin
    /// bound to no site may leave it out to receive every site's events).
    pub site: Option<String>,
    /// Where events are POSTed: http or https, resolving to public addresses only.
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// The event types to receive; all when absent or empty.
    #[serde(default)]
    pub event_types: Vec<EventType>,
}

/// Changes to an endpoint; what is absent stays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointChange {
    pub url: Option<String>,
    pub description: Option<String>,
    /// The event types to receive; empty: all.
    pub event_types: Option<Vec<EventType>>,
}

pub const MAX_URL_LENGTH: usize = 2000;
pub const MAX_DESCRIPTION_LENGTH: usize = 500;

/// The faults of an endpoint's description and event types.
pub fn check_fields(description: Option<&str>, types: Option<&[EventType]>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LENGTH) {
        errors.push(FieldError::new(
            "description",
            "too_long",
            format!("must be at most {MAX_DESCRIPTION_LENGTH} characters"),
        ));
    }
    if types.is_some_and(|t| t.contains(&EventType::Ping)) {
        errors.push(FieldError::new(
            "event_types",
            "invalid_value",
            "webhook.ping is sent on request (POST .../ping), not subscribed to",
        ));
    }
    errors
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub message_id: String,
    pub event_type: String,
    pub change_id: Option<i64>,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl DeliveryRow {
    pub fn view(&self) -> WebhookDelivery {
        let status = DeliveryStatus::parse(&self.status);
        WebhookDelivery {
            id: self.id,
            endpoint_id: self.endpoint_id,
            message_id: self.message_id.clone(),
            event_type: EventType::parse(&self.event_type).unwrap_or(EventType::Ping),
            status,
            attempt_count: self.attempts,
            next_attempt_at: (status == DeliveryStatus::Pending).then(|| self.next_attempt_at.and_utc()),
            last_attempt_at: self.last_attempt_at.map(|t| t.and_utc()),
            last_status_code: self.last_status_code,
            last_error: self.last_error.clone(),
            last_duration_ms: self.last_duration_ms,
            delivered_at: self.delivered_at.map(|t| t.and_utc()),
            created_at: self.created_at.and_utc(),
        }
    }
}

/// One message to one endpoint, and how sending it went.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    /// The `webhook-id` header: the same on every attempt and redelivery, for receivers to
    /// recognise a message they already handled.
    pub message_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempt_count: i32,
    /// When it is (re)tried, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last attempt; null when none came (refused, timed out, no connection).
    pub last_status_code: Option<i32>,
    /// What went wrong in the last attempt.
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A delivery with the body it sends and every attempt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookDeliveryDetail {
    #[serde(flatten)]
    pub delivery: WebhookDelivery,
    /// The JSON body, as signed and sent: `type`, `timestamp` and `data`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// One try at sending a delivery.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAttempt {
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status the endpoint answered; null when none came.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl From<AttemptRow> for WebhookAttempt {
    fn from(row: AttemptRow) -> Self {
        Self {
            attempted_at: row.attempted_at.and_utc(),
            status_code: row.status_code,
            error: row.error,
            duration_ms: row.duration_ms,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EndpointListQuery {
    /// Only this site's endpoints, by code.
    pub site: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Endpoints per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// Only deliveries of this event type.
    pub event_type: Option<EventType>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Deliveries per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

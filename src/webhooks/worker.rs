//! The delivery worker every node runs (unless `MUNI_WEBHOOK_WORKER=off`): it turns new change
//! log entries into deliveries (the fan-out), then sends what is due, endpoint by endpoint.
//!
//! - The change log is the outbox: its entries are written by triggers in the transaction of the
//!   change itself, so an event exists exactly when its change committed. The fan-out reads the
//!   log in commit order from `webhooks_fanned_until`, under that setting's row lock, and queues
//!   one delivery per matching endpoint in the same transaction that moves the position: nodes
//!   take turns, and no entry is queued twice or skipped.
//! - Sending: a worker claims endpoints (a lease on the row, taken in one statement that skips
//!   rows another worker is claiming), sends each one's oldest pending delivery, records the
//!   attempt, and goes on with the next only after a success (or a final failure): deliveries
//!   reach an endpoint in order, at least once. A worker that dies mid-delivery leaves its claim
//!   to lapse; another (or the same, restarted) sends the message again with the same `webhook-id`.
//! - A failure is retried on the schedule (`MUNI_WEBHOOK_RETRY_SCHEDULE`, about a day, with
//!   jitter) and then marked failed; an endpoint failing for `MUNI_WEBHOOK_DISABLE_AFTER` is disabled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;
use serde_json::{Value, json};

use super::address::{self, GuardedResolver};
use super::model::{DeliveryRow, EndpointRow, EndpointStatus, EventType};
use super::repo::{self, After, NewDelivery, Outcome};
use super::signing;
use crate::changes::{self, ChangeRow, Position, ResourceType};
use crate::config::WebhookSettings;
use crate::crypto::Vault;
use crate::db::schema::settings;
use crate::db::{self, Database, DbConn};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::sites::model::{PageKind, SiteRow};

/// The setting that holds how far the change log has been fanned out.
const FANNED_UNTIL: &str = "webhooks_fanned_until";
/// Entries fanned out in one transaction.
const FAN_OUT_BATCH: i64 = 500;
/// Endpoints one worker sends to at once.
const ENDPOINTS_AT_ONCE: i64 = 8;
/// Deliveries sent to one endpoint under one claim, before others get their turn.
const DELIVERIES_PER_CLAIM: usize = 100;
/// The most of an endpoint's answer that is read (the rest is dropped with the connection).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

fn fanned_until(conn: &mut DbConn) -> QueryResult<Position> {
    let value: Option<String> = settings::table.find(FANNED_UNTIL).select(settings::value).first(conn).optional()?;
    Ok(value.and_then(|v| Position::decode(&v).ok()).unwrap_or_default())
}

/// Queues a delivery for every endpoint that wants each new change log entry; returns how many.
pub fn fan_out(conn: &mut DbConn) -> Result<usize, ApiError> {
    // Most calls find nothing new, and write nothing.
    let start = fanned_until(conn)?;
    if changes::after(conn, start, 1)?.is_empty() {
        return Ok(0);
    }
    db::write_transaction(conn, |c| {
        db::lock_row_by_key(c, "settings", "name", FANNED_UNTIL)?;
        let start = fanned_until(c)?;
        let rows = changes::after(c, start, FAN_OUT_BATCH)?;
        let Some(last) = rows.last().map(ChangeRow::position) else { return Ok(0) };
        let queued = queue_for(c, &rows)?;
        diesel::update(settings::table.find(FANNED_UNTIL)).set(settings::value.eq(last.encode())).execute(c)?;
        Ok(queued)
    })
}

fn queue_for(conn: &mut DbConn, rows: &[ChangeRow]) -> Result<usize, ApiError> {
    let endpoints = repo::receiving_endpoints(conn)?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let subscriptions: Vec<(EndpointRow, Vec<EventType>)> = endpoints
        .into_iter()
        .map(|e| {
            let types = e.event_types();
            (e, types)
        })
        .collect();
    let events: Vec<(&ChangeRow, EventType, ResourceType, Vec<i64>)> = rows
        .iter()
        .filter_map(|row| {
            let (event, resource) = EventType::of_change(row)?;
            let to: Vec<i64> =
                subscriptions.iter().filter(|(e, types)| e.wants(event, row, types)).map(|(e, _)| e.id).collect();
            (!to.is_empty()).then_some((row, event, resource, to))
        })
        .collect();
    let visible: Vec<ChangeRow> =
        events.iter().filter(|(row, ..)| row.is_public.unwrap_or(row.public)).map(|(row, ..)| (*row).clone()).collect();
    let mut objects = changes::payloads(conn, &visible)?;
    let site_ids: Vec<i64> = events.iter().filter_map(|(row, ..)| row.site_id).collect();
    let sites: HashMap<i64, SiteRow> =
        crate::sites::rows_by_ids(conn, &site_ids)?.into_iter().map(|s| (s.id, s)).collect();
    let mut queued = 0;
    for (row, event, resource, to) in events {
        let object =
            if row.is_public.unwrap_or(row.public) { objects.remove(&(resource, row.resource_id)) } else { None };
        let site = row.site_id.and_then(|id| sites.get(&id));
        let payload = envelope(row, event, resource, site, object).to_string();
        let message_id = format!("msg_{}", row.id);
        for endpoint_id in to {
            repo::queue(
                conn,
                &NewDelivery {
                    endpoint_id,
                    message_id: &message_id,
                    event_type: event,
                    change_id: Some(row.id),
                    payload: &payload,
                },
            )?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// The body of an event: `type`, `timestamp` (when the change committed) and `data` with the
/// resource as its public `GET` shows it (`object`; null once it is not public, and for
/// submissions, which carry personal data) and the address of its page on the site's portal.
fn envelope(
    row: &ChangeRow,
    event: EventType,
    resource: ResourceType,
    site: Option<&SiteRow>,
    object: Option<Value>,
) -> Value {
    let key = |name: &str| object.as_ref().and_then(|o| o.get(name)).and_then(Value::as_str).map(str::to_owned);
    let kind = match resource {
        ResourceType::Article => Some(PageKind::Article),
        ResourceType::Category => Some(PageKind::Category),
        ResourceType::Procedure => Some(PageKind::Procedure),
        ResourceType::Question => Some(PageKind::Question),
        ResourceType::Event => Some(PageKind::Event),
        _ => None,
    };
    let slug = key("slug").or_else(|| key("code")).unwrap_or_default();
    let code = key("code").unwrap_or_else(|| slug.clone());
    let url = match (kind, site, &object) {
        (Some(kind), Some(site), Some(_)) => site.page_url(kind, &slug, row.resource_id, &code),
        _ => None,
    };
    json!({
        "type": event.as_str(),
        "timestamp": row.changed_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": {
            "resource": resource.as_str(),
            "id": row.resource_id,
            "site": site.map(|s| json!({"id": s.id, "code": s.code, "name": s.name})),
            "url": url,
            "cursor": row.position().encode(),
            "object": object,
        },
    })
}

/// Starts the worker on a thread of its own (with its own small async runtime for the HTTP client).
pub fn start(db: Database, vault: Vault, settings: WebhookSettings, metrics: Option<Arc<Metrics>>) {
    let spawned = std::thread::Builder::new().name("muni-webhooks".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => return log::error!("cannot start the webhook worker: {e}"),
        };
        runtime.block_on(run(db, vault, settings, metrics));
    });
    if let Err(e) = spawned {
        log::error!("cannot start the webhook worker: {e}");
    }
}

struct Worker {
    db: Database,
    vault: Vault,
    settings: WebhookSettings,
    client: reqwest::Client,
    owner: String,
}

async fn run(db: Database, vault: Vault, settings: WebhookSettings, metrics: Option<Arc<Metrics>>) {
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .no_proxy()
        .dns_resolver(GuardedResolver::shared(settings.allow_private))
        .user_agent(concat!("muni-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(e) => return log::error!("cannot build the webhook client: {e}"),
    };
    let owner = format!("worker-{}", uuid::Uuid::new_v4().simple());
    let worker = Arc::new(Worker { db, vault, settings, client, owner });
    let mut failing = false;
    loop {
        tokio::time::sleep(worker.settings.poll).await;
        let result = worker.round().await;
        if let Some(metrics) = &metrics {
            metrics.background_run("webhooks", result.is_ok());
        }
        match &result {
            Err(e) if !failing => log::error!("webhook worker: {e}"),
            _ => {}
        }
        failing = result.is_err();
    }
}

impl Worker {
    /// Runs `f` on a pooled connection, off this thread's runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, String> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
    }

    fn lease_until(&self) -> NaiveDateTime {
        db::now() + chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::seconds(60))
    }

    /// One round: fan out, claim endpoints with due deliveries, send to them concurrently.
    async fn round(self: &Arc<Self>) -> Result<(), String> {
        let queued = self.blocking(fan_out).await?;
        if queued > 0 {
            log::debug!("queued {queued} webhook deliveries");
        }
        let (owner, until) = (self.owner.clone(), self.lease_until());
        let claimed = self.blocking(move |c| Ok(repo::claim(c, &owner, db::now(), until, ENDPOINTS_AT_ONCE)?)).await?;
        let mut sending = tokio::task::JoinSet::new();
        for endpoint_id in claimed {
            let worker = self.clone();
            sending.spawn(async move { worker.serve(endpoint_id).await });
        }
        let mut result = Ok(());
        while let Some(done) = sending.join_next().await {
            if let Err(e) = done.map_err(|e| e.to_string()).and_then(|r| r) {
                result = Err(e);
            }
        }
        result
    }

    /// Sends a claimed endpoint's deliveries in order until one must wait, then gives it up.
    async fn serve(&self, endpoint_id: i64) -> Result<(), String> {
        let mut retry_at = None;
        for _ in 0..DELIVERIES_PER_CLAIM {
            let owner = self.owner.clone();
            let Some((endpoint, head)) = self.blocking(move |c| Ok(repo::head(c, endpoint_id, &owner)?)).await? else {
                return Ok(()); // The claim lapsed and another worker has it.
            };
            let Some(delivery) = head else { break };
            if endpoint.status() != EndpointStatus::Active {
                break;
            }
            if delivery.next_attempt_at > db::now() {
                retry_at = Some(delivery.next_attempt_at);
                break;
            }
            let outcome = self.send(&endpoint, &delivery).await;
            let after = self.after(&delivery, &outcome);
            let disable_after =
                chrono::Duration::from_std(self.settings.disable_after).unwrap_or(chrono::Duration::days(5));
            let lease_until = self.lease_until();
            let wait = match &after {
                After::Retry(at) => Some(*at),
                _ => None,
            };
            self.blocking(move |c| {
                Ok(repo::record_attempt(c, &endpoint, &delivery, &outcome, &after, disable_after, lease_until)?)
            })
            .await?;
            if wait.is_some() {
                retry_at = wait;
                break;
            }
        }
        let owner = self.owner.clone();
        self.blocking(move |c| Ok(repo::release(c, endpoint_id, &owner, retry_at)?)).await
    }

    /// What follows an attempt: done, a retry after the schedule's next wait (with jitter), or failed.
    fn after(&self, delivery: &DeliveryRow, outcome: &Outcome) -> After {
        if outcome.success {
            return After::Delivered;
        }
        match self.settings.retry_schedule.get(delivery.attempts.max(0) as usize) {
            Some(wait) => {
                let jittered = wait.mul_f64(rand::rng().random_range(0.8..1.2));
                After::Retry(outcome.at + chrono::Duration::from_std(jittered).unwrap_or(chrono::Duration::hours(1)))
            }
            None => After::Failed,
        }
    }

    /// One attempt: the signed POST, its answer read up to a cap, never a redirect followed.
    async fn send(&self, endpoint: &EndpointRow, delivery: &DeliveryRow) -> Outcome {
        let at = db::now();
        let started = Instant::now();
        let result = self.post(endpoint, delivery).await;
        let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        match result {
            Ok(status) if (200..300).contains(&status) => {
                Outcome { at, status_code: Some(status), error: None, duration_ms, success: true }
            }
            Ok(status) => Outcome {
                at,
                status_code: Some(status),
                error: Some(format!("the endpoint answered {status}")),
                duration_ms,
                success: false,
            },
            Err(error) => Outcome { at, status_code: None, error: Some(error), duration_ms, success: false },
        }
    }

    async fn post(&self, endpoint: &EndpointRow, delivery: &DeliveryRow) -> Result<i32, String> {
        let url = reqwest::Url::parse(&endpoint.url).map_err(|e| format!("the URL is not valid: {e}"))?;
        if let Some(why) = address::url_refusal(&url, self.settings.allow_private) {
            return Err(format!("refused: the URL {why}"));
        }
        // The name is checked here for a clear error, and again by the client's resolver as it connects.
        if let Some(url::Host::Domain(host)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(443);
            address::resolve_public(host, port, self.settings.allow_private)
                .await
                .map_err(|why| format!("refused: {why}"))?;
        }
        let secret =
            self.vault.open(&endpoint.secret_sealed).map_err(|_| "the secret cannot be read with this data key")?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signing::sign(&secret, &delivery.message_id, timestamp, &delivery.payload)?;
        let mut response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = i32::from(response.status().as_u16());
        let mut read = 0;
        while read < MAX_ANSWER_BYTES {
            match tokio::time::timeout(Duration::from_secs(5), response.chunk()).await {
                Ok(Ok(Some(chunk))) => read += chunk.len(),
                _ => break,
            }
        }
        Ok(status)
    }
}

/// An error with its causes, which say what happened (refused address, timeout, connection refused).
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() { "timed out".to_owned() } else { error.to_string() };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.chars().take(500).collect()
}

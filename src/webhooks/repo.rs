//! The queries of webhook endpoints and deliveries, the worker's claims included.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::model::{AttemptRow, DeliveryRow, DeliveryStatus, EndpointRow, EndpointStatus, EventType};
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::db::{DbConn, now};

pub struct NewEndpoint<'a> {
    pub site_id: Option<i64>,
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: String,
    pub secret_sealed: String,
    pub created_by: i64,
}

pub fn insert_endpoint(conn: &mut DbConn, new: &NewEndpoint<'_>) -> QueryResult<EndpointRow> {
    let at = now();
    let start = crate::changes::last_position(conn)?;
    diesel::insert_into(webhook_endpoints::table)
        .values((
            webhook_endpoints::start_tick.eq(start.tick),
            webhook_endpoints::start_id.eq(start.id),
            webhook_endpoints::site_id.eq(new.site_id),
            webhook_endpoints::url.eq(new.url),
            webhook_endpoints::description.eq(new.description),
            webhook_endpoints::event_types.eq(&new.event_types),
            webhook_endpoints::secret_sealed.eq(&new.secret_sealed),
            webhook_endpoints::created_by.eq(Some(new.created_by)),
            webhook_endpoints::created_at.eq(at),
            webhook_endpoints::updated_at.eq(at),
        ))
        .returning(webhook_endpoints::all_columns)
        .get_result(conn)
}

pub fn find_endpoint(conn: &mut DbConn, id: i64) -> QueryResult<Option<EndpointRow>> {
    webhook_endpoints::table.find(id).select(EndpointRow::as_select()).first(conn).optional()
}

/// How many endpoints a site has (with those of every site when `site_id` is `None`).
pub fn count_for_site(conn: &mut DbConn, site_id: Option<i64>) -> QueryResult<i64> {
    match site_id {
        Some(id) => webhook_endpoints::table.filter(webhook_endpoints::site_id.eq(id)).count().get_result(conn),
        None => webhook_endpoints::table.filter(webhook_endpoints::site_id.is_null()).count().get_result(conn),
    }
}

/// Endpoints, oldest first: of one site (`Some(Some(id))`), of every site (`Some(None)`), or all (`None`).
pub fn list_endpoints(
    conn: &mut DbConn,
    site: Option<Option<i64>>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<EndpointRow>, i64)> {
    let filtered = || {
        let mut query = webhook_endpoints::table.into_boxed();
        match site {
            Some(Some(id)) => query = query.filter(webhook_endpoints::site_id.eq(id)),
            Some(None) => query = query.filter(webhook_endpoints::site_id.is_null()),
            None => {}
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(webhook_endpoints::id.asc())
        .select(EndpointRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

/// Pending deliveries per endpoint.
pub fn pending_counts(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq_any(ids.to_vec()))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .group_by(webhook_deliveries::endpoint_id)
        .select((webhook_deliveries::endpoint_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

#[derive(AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<String>,
    pub updated_at: NaiveDateTime,
}

pub fn update_endpoint(conn: &mut DbConn, id: i64, changes: &EndpointChanges) -> QueryResult<Option<EndpointRow>> {
    diesel::update(webhook_endpoints::table.find(id))
        .set(changes)
        .returning(webhook_endpoints::all_columns)
        .get_result(conn)
        .optional()
}

pub fn delete_endpoint(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(webhook_endpoints::table.find(id)).execute(conn)
}

/// Pauses an active endpoint, in one step: `None` when it is not active (or gone).
pub fn pause(conn: &mut DbConn, id: i64) -> QueryResult<Option<EndpointRow>> {
    diesel::update(
        webhook_endpoints::table.find(id).filter(webhook_endpoints::status.eq(EndpointStatus::Active.as_str())),
    )
    .set((webhook_endpoints::status.eq(EndpointStatus::Paused.as_str()), webhook_endpoints::updated_at.eq(now())))
    .returning(webhook_endpoints::all_columns)
    .get_result(conn)
    .optional()
}

/// Resumes a paused or disabled endpoint, in one step, and makes its pending deliveries due now:
/// `None` when it is already active (or gone).
pub fn resume(conn: &mut DbConn, id: i64) -> QueryResult<Option<EndpointRow>> {
    let at = now();
    let resumed = diesel::update(
        webhook_endpoints::table.find(id).filter(webhook_endpoints::status.ne(EndpointStatus::Active.as_str())),
    )
    .set((
        webhook_endpoints::status.eq(EndpointStatus::Active.as_str()),
        webhook_endpoints::disabled_reason.eq(None::<String>),
        webhook_endpoints::failing_since.eq(None::<NaiveDateTime>),
        webhook_endpoints::retry_at.eq(None::<NaiveDateTime>),
        webhook_endpoints::updated_at.eq(at),
    ))
    .returning(webhook_endpoints::all_columns)
    .get_result(conn)
    .optional()?;
    if resumed.is_some() {
        diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::endpoint_id.eq(id))
                .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str())),
        )
        .set(webhook_deliveries::next_attempt_at.eq(at))
        .execute(conn)?;
    }
    Ok(resumed)
}

pub fn set_secret(conn: &mut DbConn, id: i64, sealed: &str) -> QueryResult<Option<EndpointRow>> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((webhook_endpoints::secret_sealed.eq(sealed), webhook_endpoints::updated_at.eq(now())))
        .returning(webhook_endpoints::all_columns)
        .get_result(conn)
        .optional()
}

/// Endpoints that take new events (active and paused), for the fan-out.
pub fn receiving_endpoints(conn: &mut DbConn) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::status.ne(EndpointStatus::Disabled.as_str()))
        .order(webhook_endpoints::id.asc())
        .select(EndpointRow::as_select())
        .load(conn)
}

pub struct NewDelivery<'a> {
    pub endpoint_id: i64,
    pub message_id: &'a str,
    pub event_type: EventType,
    pub change_id: Option<i64>,
    pub payload: &'a str,
}

/// Queues a delivery at the end of its endpoint's line.
pub fn queue(conn: &mut DbConn, new: &NewDelivery<'_>) -> QueryResult<DeliveryRow> {
    let at = now();
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::endpoint_id.eq(new.endpoint_id),
            webhook_deliveries::message_id.eq(new.message_id),
            webhook_deliveries::event_type.eq(new.event_type.as_str()),
            webhook_deliveries::change_id.eq(new.change_id),
            webhook_deliveries::payload.eq(new.payload),
            webhook_deliveries::next_attempt_at.eq(at),
            webhook_deliveries::created_at.eq(at),
        ))
        .returning(webhook_deliveries::all_columns)
        .get_result(conn)
}

/// An endpoint's deliveries, newest first.
pub fn list_deliveries(
    conn: &mut DbConn,
    endpoint_id: i64,
    status: Option<DeliveryStatus>,
    event_type: Option<EventType>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<DeliveryRow>, i64)> {
    let filtered = || {
        let mut query = webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(endpoint_id)).into_boxed();
        if let Some(status) = status {
            query = query.filter(webhook_deliveries::status.eq(status.as_str()));
        }
        if let Some(event_type) = event_type {
            query = query.filter(webhook_deliveries::event_type.eq(event_type.as_str()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order(webhook_deliveries::id.desc())
        .select(DeliveryRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

pub fn find_delivery(conn: &mut DbConn, endpoint_id: i64, id: i64) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

pub fn attempts(conn: &mut DbConn, delivery_id: i64) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq(delivery_id))
        .order(webhook_attempts::id.asc())
        .select(AttemptRow::as_select())
        .load(conn)
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Claims up to `limit` active endpoints that have a delivery due and no live claim, for `owner`
/// until `until`: one statement, so two workers never hold one endpoint (on PostgreSQL the rows
/// another worker is claiming are skipped, not waited for).
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    at: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    const DUE: &str = "e.status = 'active' AND (e.lease_until IS NULL OR e.lease_until < {now}) \
         AND (e.retry_at IS NULL OR e.retry_at <= {now}) \
         AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending')";
    // Most calls find nothing due: a read first, so that an idle node takes no write lock.
    let due: i64 = webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_endpoints::status.eq(EndpointStatus::Active.as_str()))
        .filter(webhook_endpoints::lease_until.is_null().or(webhook_endpoints::lease_until.lt(at)))
        .filter(webhook_endpoints::retry_at.is_null().or(webhook_endpoints::retry_at.le(at)))
        .count()
        .get_result(conn)?;
    if due == 0 {
        return Ok(Vec::new());
    }
    let claimed: Vec<Claimed> = match conn {
        DbConn::Postgres(c) => diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET lease_owner = $1, lease_until = $2 WHERE id IN \
             (SELECT e.id FROM webhook_endpoints e WHERE {} ORDER BY e.id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id",
            DUE.replace("{now}", "$3")
        ))
        .bind::<Text, _>(owner)
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(at)
        .bind::<BigInt, _>(limit)
        .load(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET lease_owner = ?1, lease_until = ?2 WHERE id IN \
             (SELECT e.id FROM webhook_endpoints e WHERE {} ORDER BY e.id LIMIT ?4) RETURNING id",
            DUE.replace("{now}", "?3")
        ))
        .bind::<Text, _>(owner)
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(at)
        .bind::<BigInt, _>(limit)
        .load(c)?,
    };
    Ok(claimed.into_iter().map(|c| c.id).collect())
}

/// The endpoint, while `owner` holds it, and its oldest pending delivery.
pub fn head(
    conn: &mut DbConn,
    endpoint_id: i64,
    owner: &str,
) -> QueryResult<Option<(EndpointRow, Option<DeliveryRow>)>> {
    let Some(endpoint) = webhook_endpoints::table
        .find(endpoint_id)
        .filter(webhook_endpoints::lease_owner.eq(owner))
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let delivery = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .order(webhook_deliveries::id.asc())
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?;
    Ok(Some((endpoint, delivery)))
}

/// Gives up `owner`'s claim on an endpoint; `retry_at` is when its oldest delivery is due again.
pub fn release(conn: &mut DbConn, endpoint_id: i64, owner: &str, retry_at: Option<NaiveDateTime>) -> QueryResult<()> {
    diesel::update(webhook_endpoints::table.find(endpoint_id).filter(webhook_endpoints::lease_owner.eq(owner)))
        .set((
            webhook_endpoints::lease_owner.eq(None::<String>),
            webhook_endpoints::lease_until.eq(None::<NaiveDateTime>),
            webhook_endpoints::retry_at.eq(retry_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// How one attempt went.
pub struct Outcome {
    pub at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub success: bool,
}

/// What became of a delivery after an attempt.
pub enum After {
    Delivered,
    /// Tried again then; the endpoint's later deliveries wait behind it.
    Retry(NaiveDateTime),
    Failed,
}

/// Records an attempt, and what follows from it, in one transaction: the delivery's state, the
/// endpoint's failing streak (disabled once it has failed for `disable_after`), the claim renewed.
#[allow(clippy::too_many_arguments)]
pub fn record_attempt(
    conn: &mut DbConn,
    endpoint: &EndpointRow,
    delivery: &DeliveryRow,
    outcome: &Outcome,
    after: &After,
    disable_after: chrono::Duration,
    lease_until: NaiveDateTime,
) -> QueryResult<()> {
    crate::db::write_transaction(conn, |c| {
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::delivery_id.eq(delivery.id),
                webhook_attempts::attempted_at.eq(outcome.at),
                webhook_attempts::status_code.eq(outcome.status_code),
                webhook_attempts::error.eq(outcome.error.as_deref()),
                webhook_attempts::duration_ms.eq(outcome.duration_ms),
            ))
            .execute(c)?;
        let (status, next, delivered_at) = match after {
            After::Delivered => (DeliveryStatus::Delivered, delivery.next_attempt_at, Some(outcome.at)),
            After::Retry(at) => (DeliveryStatus::Pending, *at, None),
            After::Failed => (DeliveryStatus::Failed, delivery.next_attempt_at, None),
        };
        diesel::update(
            webhook_deliveries::table
                .find(delivery.id)
                .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str())),
        )
        .set((
            webhook_deliveries::status.eq(status.as_str()),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::last_attempt_at.eq(Some(outcome.at)),
            webhook_deliveries::last_status_code.eq(outcome.status_code),
            webhook_deliveries::last_error.eq(outcome.error.as_deref()),
            webhook_deliveries::last_duration_ms.eq(Some(outcome.duration_ms)),
            webhook_deliveries::delivered_at.eq(delivered_at),
        ))
        .execute(c)?;
        let mine =
            webhook_endpoints::table.find(endpoint.id).filter(webhook_endpoints::lease_owner.eq(&endpoint.lease_owner));
        if outcome.success {
            diesel::update(mine)
                .set((
                    webhook_endpoints::failing_since.eq(None::<NaiveDateTime>),
                    webhook_endpoints::retry_at.eq(None::<NaiveDateTime>),
                    webhook_endpoints::lease_until.eq(Some(lease_until)),
                ))
                .execute(c)?;
            return Ok(());
        }
        let since = endpoint.failing_since.unwrap_or(outcome.at);
        let retry_at = match after {
            After::Retry(at) => Some(*at),
            _ => None,
        };
        if outcome.at - since >= disable_after {
            let reason = format!(
                "Every attempt has failed since {} (last: {}); resume it once the receiver works.",
                since.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                outcome.error.as_deref().unwrap_or("no answer")
            );
            diesel::update(mine)
                .set((
                    webhook_endpoints::status.eq(EndpointStatus::Disabled.as_str()),
                    webhook_endpoints::disabled_reason.eq(Some(reason)),
                    webhook_endpoints::failing_since.eq(Some(since)),
                    webhook_endpoints::retry_at.eq(retry_at),
                    webhook_endpoints::updated_at.eq(outcome.at),
                ))
                .execute(c)?;
        } else {
            diesel::update(mine)
                .set((
                    webhook_endpoints::failing_since.eq(Some(since)),
                    webhook_endpoints::retry_at.eq(retry_at),
                    webhook_endpoints::lease_until.eq(Some(lease_until)),
                ))
                .execute(c)?;
        }
        Ok(())
    })
}

/// Forgets finished deliveries (and their attempts) created before `before`; returns how many.
pub fn forget_finished(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    let old = webhook_deliveries::table
        .filter(webhook_deliveries::created_at.lt(before))
        .filter(webhook_deliveries::status.ne(DeliveryStatus::Pending.as_str()))
        .select(webhook_deliveries::id);
    diesel::delete(webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(old))).execute(conn)?;
    diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::created_at.lt(before))
            .filter(webhook_deliveries::status.ne(DeliveryStatus::Pending.as_str())),
    )
    .execute(conn)
}

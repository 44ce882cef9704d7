//! Calendar writes (editors, admins): create, change (each change a revision and a new iCalendar\n//! sequence), cancel, delete.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, web};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::model::{
    CancelEvent, CreateEvent, Event, EventRow, EventStatus, UpdateEvent, local_midnight, parse_local_or_offset,
};
use super::repo;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError};
use crate::http::ApiJson;
use crate::sites;
use crate::state::AppState;

/// The times of an event as stored: `(all_day, starts_at, ends_at)` in UTC.
fn resolve_times(
    all_day: bool,
    starts_at: Option<&str>,
    ends_at: Option<&str>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    zone: Tz,
    errors: &mut Vec<FieldError>,
) -> Option<(NaiveDateTime, NaiveDateTime)> {
    if all_day {
        let Some(first) = starts_on else {
            errors.push(FieldError::new("starts_on", "required", "is required for an all-day event"));
            return None;
        };
        let last = ends_on.unwrap_or(first);
        if last < first {
            errors.push(FieldError::new("ends_on", "invalid_value", "must not be before starts_on"));
            return None;
        }
        return Some((local_midnight(first, zone), local_midnight(last + Duration::days(1), zone)));
    }
    let Some(starts_at) = starts_at else {
        errors.push(FieldError::new("starts_at", "required", "is required unless the event is all-day"));
        return None;
    };
    let start = match parse_local_or_offset("starts_at", starts_at, zone) {
        Ok(t) => t,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let end = match ends_at.map(|e| parse_local_or_offset("ends_at", e, zone)).transpose() {
        Ok(end) => end.unwrap_or(start),
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    if end < start {
        errors.push(FieldError::new("ends_at", "invalid_value", "must not be before starts_at"));
        return None;
    }
    Some((start, end))
}

fn check_text(field: &str, value: &str, max: usize, required: bool, errors: &mut Vec<FieldError>) {
    let len = value.trim().chars().count();
    if required && len == 0 {
        errors.push(FieldError::new(field, "required", "must not be empty"));
    } else if len > max {
        errors.push(FieldError::new(field, "too_long", format!("must be at most {max} characters")));
    }
}

fn check_article(conn: &mut DbConn, article_id: Option<i64>) -> Result<(), ApiError> {
    if let Some(id) = article_id {
        let found = repo::article_exists(conn, id)?;
        if !found {
            return Err(ApiError::invalid("article_id", "not_found", "no article has this id"));
        }
    }
    Ok(())
}

/// The attachments an event may have: files of its site's library, any kind, up to 20.
fn attach(conn: &mut DbConn, row: &mut EventRow, ids: &[i64]) -> Result<(), ApiError> {
    let rules = crate::media::Usable {
        site_id: row.site_id,
        wrong_site: "must be an item of the event's site",
        kind: None,
        need_alt: false,
    };
    rules.check_list(conn, "attachment_media_ids", ids, 20)?;
    row.attachment_media_ids = serde_json::to_string(ids).map_err(ApiError::internal)?;
    Ok(())
}

fn event_view(conn: &mut DbConn, id: i64) -> Result<Event, ApiError> {
    let row = repo::find_row(conn, id)?.ok_or_else(|| ApiError::not_found("event"))?;
    repo::to_events(conn, vec![row])?.pop().ok_or_else(|| ApiError::not_found("event"))
}

/// Add an event to the calendar (editors, admins).
#[utoipa::path(
    tag = "events",
    request_body = CreateEvent,
    security(("bearer" = [])),
    responses((status = 201, description = "Created; `Location` names it", body = Event,
        headers(("Location" = String, description = "URL of the new event"))))
)]
#[post("/events")]
pub async fn create_event(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateEvent>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let input = body.0;
    let event = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let site_id = sites::site_for_write(c, &user, input.site_id)?;
            let site = sites::find_site_by_id(c, site_id)?.ok_or_else(|| ApiError::not_found("site"))?;
            let mut errors = vec![];
            let time_zone = input.time_zone.clone().unwrap_or(site.time_zone);
            let zone: Tz = time_zone.parse().unwrap_or_else(|_| {
                errors.push(FieldError::new("time_zone", "invalid_value", "must be an IANA time zone"));
                chrono_tz::Asia::Ho_Chi_Minh
            });
            check_text("title", &input.title, 500, true, &mut errors);
            for (field, value) in [
                ("description", &input.description),
                ("location", &input.location),
                ("chair", &input.chair),
                ("participants", &input.participants),
                ("preparing_unit", &input.preparing_unit),
            ] {
                check_text(field, value.as_deref().unwrap_or(""), 5000, false, &mut errors);
            }
            let status = input.status.unwrap_or(EventStatus::Scheduled);
            if !matches!(status, EventStatus::Draft | EventStatus::Scheduled) {
                errors.push(FieldError::new("status", "invalid_value", "a new event is scheduled or draft"));
            }
            let times = resolve_times(
                input.all_day,
                input.starts_at.as_deref(),
                input.ends_at.as_deref(),
                input.starts_on,
                input.ends_on,
                zone,
                &mut errors,
            );
            let Some((starts_at, ends_at)) = times.filter(|_| errors.is_empty()) else {
                return Err(ApiError::Validation(errors));
            };
            check_article(c, input.article_id)?;
            let now = db::now();
            let trim = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_owned();
            let mut row = EventRow {
                id: 0,
                site_id,
                uid: format!("{}@muni", uuid::Uuid::new_v4()),
                title: input.title.trim().to_owned(),
                description: trim(&input.description),
                all_day: input.all_day,
                starts_at,
                ends_at,
                time_zone,
                location: trim(&input.location),
                chair: trim(&input.chair),
                participants: trim(&input.participants),
                preparing_unit: trim(&input.preparing_unit),
                status: status.as_str().to_owned(),
                article_id: input.article_id,
                sequence: 0,
                search_text: String::new(),
                created_by: Some(user.id),
                updated_by: Some(user.id),
                created_at: now,
                updated_at: now,
                deleted_at: None,
                attachment_media_ids: "[]".into(),
            };
            attach(c, &mut row, &input.attachment_media_ids)?;
            row.search_text = repo::search_text(&row);
            let id = repo::insert(c, &row)?;
            crate::media::set_uses(c, "event", id, "attachment", &input.attachment_media_ids)?;
            event_view(c, id)
        })
    })
    .await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/events/{}", event.id))).json(event))
}

fn writable(conn: &mut DbConn, user: &AuthUser, id: i64) -> Result<EventRow, ApiError> {
    db::lock_row(conn, "events", id)?;
    let row = repo::find_row(conn, id)?.ok_or_else(|| ApiError::not_found("event"))?;
    user.require_site(Some(row.site_id))?;
    Ok(row)
}

/// Stores a changed row: raises the sequence and keeps a revision with what changed.
fn save_change(conn: &mut DbConn, before: &EventRow, mut after: EventRow, user: &AuthUser) -> Result<(), ApiError> {
    let mut changes = serde_json::Map::new();
    let mut note = |field: &str, old: Value, new: Value| {
        if old != new {
            changes.insert(field.to_owned(), json!([old, new]));
        }
    };
    let time = |t: NaiveDateTime| json!(t.and_utc().to_rfc3339());
    note("title", json!(before.title), json!(after.title));
    note("description", json!(before.description), json!(after.description));
    note("all_day", json!(before.all_day), json!(after.all_day));
    note("starts_at", time(before.starts_at), time(after.starts_at));
    note("ends_at", time(before.ends_at), time(after.ends_at));
    note("time_zone", json!(before.time_zone), json!(after.time_zone));
    note("location", json!(before.location), json!(after.location));
    note("chair", json!(before.chair), json!(after.chair));
    note("participants", json!(before.participants), json!(after.participants));
    note("preparing_unit", json!(before.preparing_unit), json!(after.preparing_unit));
    note("status", json!(before.status), json!(after.status));
    note("article_id", json!(before.article_id), json!(after.article_id));
    note("attachment_media_ids", json!(before.attachment_ids()), json!(after.attachment_ids()));
    note("deleted", json!(before.deleted_at.is_some()), json!(after.deleted_at.is_some()));
    if changes.is_empty() {
        return Ok(());
    }
    let moved = ["starts_at", "ends_at", "all_day", "location", "time_zone"].iter().any(|f| changes.contains_key(*f));
    if moved && before.status() != EventStatus::Draft && after.status() != after.status().after_move() {
        let to = after.status().after_move();
        after.set_status(to);
        changes.insert("status".into(), json!([before.status, to.as_str()]));
    }
    after.sequence = before.sequence + 1;
    after.search_text = repo::search_text(&after);
    after.updated_at = db::now();
    repo::save(conn, &after, user.id)?;
    Ok(())
}

/// Applies the time fields of a patch (all-day, start and end, as times or dates, in the event's
/// zone, which the patch may change too), each given field replacing the current one.
fn patch_times(before: &EventRow, after: &mut EventRow, patch: &UpdateEvent, errors: &mut Vec<FieldError>) {
    let zone = after.zone();
    let touches_time = patch.all_day.is_some()
        || patch.starts_at.is_some()
        || patch.ends_at.is_some()
        || patch.starts_on.is_some()
        || patch.ends_on.is_some()
        || patch.time_zone.is_some();
    if touches_time {
        after.all_day = patch.all_day.unwrap_or(before.all_day);
        let local = |t: NaiveDateTime| before.local(t).naive_local().format("%Y-%m-%dT%H:%M:%S").to_string();
        let current_start = local(before.starts_at);
        let current_end = (before.ends_at > before.starts_at).then(|| local(before.ends_at));
        let starts_at = patch.starts_at.clone().or(Some(current_start));
        let ends_at = match &patch.ends_at {
            Some(end) => end.clone(),
            None => current_end,
        };
        let first = before.local(before.starts_at).date_naive();
        let last = before.local(before.ends_at).date_naive().pred_opt().unwrap_or(first).max(first);
        let starts_on = patch.starts_on.or(Some(first));
        let ends_on = patch.ends_on.or(if patch.starts_on.is_some() { None } else { Some(last) });
        if let Some((start, end)) =
            resolve_times(after.all_day, starts_at.as_deref(), ends_at.as_deref(), starts_on, ends_on, zone, errors)
        {
            after.starts_at = start;
            after.ends_at = end;
        }
    }
}

/// Change an event (editors, admins). Each change raises `sequence`, so calendar apps update it.
#[utoipa::path(
    tag = "events",
    params(("id" = i64, Path, description = "The event's id")),
    request_body = UpdateEvent,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated event", body = Event),
        (status = 404, description = "No such event"),
        (status = 409, description = "A public event cannot go back to draft"),
    )
)]
#[patch("/events/{id}")]
pub async fn update_event(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateEvent>,
) -> Result<web::Json<Event>, ApiError> {
    user.require(&[Role::Editor])?;
    let (patch, id) = (body.0, id.into_inner());
    let event = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let before = writable(c, &user, id)?;
            let mut after = before.clone();
            let mut errors = vec![];
            if let Some(tz) = &patch.time_zone {
                if tz.parse::<Tz>().is_err() {
                    errors.push(FieldError::new("time_zone", "invalid_value", "must be an IANA time zone"));
                } else {
                    after.time_zone = tz.clone();
                }
            }
            patch_times(&before, &mut after, &patch, &mut errors);
            if let Some(title) = &patch.title {
                check_text("title", title, 500, true, &mut errors);
                after.title = title.trim().to_owned();
            }
            for (field, value, target) in [
                ("description", &patch.description, &mut after.description),
                ("location", &patch.location, &mut after.location),
                ("chair", &patch.chair, &mut after.chair),
                ("participants", &patch.participants, &mut after.participants),
                ("preparing_unit", &patch.preparing_unit, &mut after.preparing_unit),
            ] {
                if let Some(value) = value {
                    check_text(field, value, 5000, false, &mut errors);
                    *target = value.trim().to_owned();
                }
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            match (patch.status, before.status()) {
                (None, _) => {}
                (Some(EventStatus::Draft), EventStatus::Draft) => {}
                (Some(EventStatus::Scheduled), EventStatus::Draft | EventStatus::Cancelled) => {
                    after.set_status(EventStatus::Scheduled)
                }
                (Some(EventStatus::Scheduled), _) => {}
                (Some(EventStatus::Draft), _) => {
                    return Err(ApiError::Conflict(
                        "A public event cannot go back to draft; cancel it instead.".into(),
                    ));
                }
                (Some(other), _) => {
                    return Err(ApiError::invalid(
                        "status",
                        "invalid_value",
                        format!("cannot be set to {}; use the cancel action", other.as_str()),
                    ));
                }
            }
            if let Some(article_id) = patch.article_id {
                check_article(c, article_id)?;
                after.article_id = article_id;
            }
            if let Some(ids) = &patch.attachment_media_ids {
                attach(c, &mut after, ids)?;
                crate::media::set_uses(c, "event", id, "attachment", ids)?;
            }
            save_change(c, &before, after, &user)?;
            event_view(c, id)
        })
    })
    .await?;
    Ok(web::Json(event))
}

/// Call an event off. It stays on the calendar as cancelled, and in the iCalendar feed as
/// `STATUS:CANCELLED`, so that subscribers remove it.
#[utoipa::path(
    tag = "events",
    params(("id" = i64, Path, description = "The event's id")),
    request_body(content = Option<CancelEvent>, description = "Optional: why it is cancelled"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cancelled event", body = Event),
        (status = 404, description = "No such event"),
        (status = 409, description = "Already cancelled, or a draft (delete it instead)"),
    )
)]
#[post("/events/{id}/cancel")]
pub async fn cancel_event(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<web::Json<Event>, ApiError> {
    user.require(&[Role::Editor])?;
    let options: CancelEvent = crate::http::optional_json(&req, &body)?;
    let id = id.into_inner();
    let event = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let before = writable(c, &user, id)?;
            before.status().may_cancel().map_err(|why| ApiError::Conflict(why.into()))?;
            let mut after = before.clone();
            after.set_status(EventStatus::Cancelled);
            if let Some(reason) = options.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                after.description = format!("{}\nHoãn/hủy: {reason}", before.description).trim().to_owned();
            }
            save_change(c, &before, after, &user)?;
            event_view(c, id)
        })
    })
    .await?;
    Ok(web::Json(event))
}

/// Delete an event. Subscribers see it cancelled in the iCalendar feed.
#[utoipa::path(
    tag = "events",
    params(("id" = i64, Path, description = "The event's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such event"),
    )
)]
#[delete("/events/{id}")]
pub async fn delete_event(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let id = id.into_inner();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let before = writable(c, &user, id)?;
            let mut after = before.clone();
            after.deleted_at = Some(db::now());
            save_change(c, &before, after, &user)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Puts back a revision's content of an event (see `crate::revisions`): its wording, times and
/// place as they were, as a change calendars see (a new sequence).
pub fn restore_revision(
    c: &mut DbConn,
    user: &AuthUser,
    id: i64,
    content: &serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    let before = writable(c, user, id)?;
    let mut after = before.clone();
    let text = |key: &str| content.get(key).and_then(Value::as_str).map(str::to_owned);
    let time = |key: &str| {
        content
            .get(key)
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.naive_utc())
    };
    for (key, target) in [
        ("title", &mut after.title),
        ("description", &mut after.description),
        ("time_zone", &mut after.time_zone),
        ("location", &mut after.location),
        ("chair", &mut after.chair),
        ("participants", &mut after.participants),
        ("preparing_unit", &mut after.preparing_unit),
    ] {
        if let Some(value) = text(key) {
            *target = value;
        }
    }
    if let Some(all_day) = content.get("all_day").and_then(Value::as_bool) {
        after.all_day = all_day;
    }
    if let (Some(starts_at), Some(ends_at)) = (time("starts_at"), time("ends_at")) {
        after.starts_at = starts_at;
        after.ends_at = ends_at;
    }
    let article_id = content.get("article_id").and_then(Value::as_i64);
    if article_id != before.article_id {
        check_article(c, article_id)?;
        after.article_id = article_id;
    }
    let attachments =
        content.get("attachment_media_ids").and_then(|v| serde_json::from_value::<Vec<i64>>(v.clone()).ok());
    if let Some(ids) = attachments.filter(|ids| *ids != before.attachment_ids()) {
        attach(c, &mut after, &ids)?;
        crate::media::set_uses(c, "event", before.id, "attachment", &ids)?;
    }
    save_change(c, &before, after, user)
}

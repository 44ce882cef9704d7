//! Calendar reads: the events of a period, a week, the iCalendar feed, one event and its revisions.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde_json::Value;

use super::ics;
use super::model::{
    Day, Event, EventListQuery, EventRow, EventStatus, IcsQuery, VIETNAMESE_WEEKDAYS, Week, WeekQuery, iso_week_of,
    local_midnight, parse_iso_week,
};
use super::repo::{self, EventFilter};
use crate::auth::{AuthUser, MaybeUser, Role};
use crate::changes::Position;
use crate::db::{self};
use crate::error::ApiError;
use crate::http::{ApiQuery, Fields, ListResponse, Paging, bad_parameter, list_response};
use crate::search::{self, Engine, Kind};
use crate::sites;
use crate::state::AppState;

fn bad(field: &str, message: &str) -> ApiError {
    bad_parameter(field, "invalid_value", message)
}

fn is_staff(user: &Option<AuthUser>) -> bool {
    user.as_ref().is_some_and(|u| matches!(u.role, Role::Admin | Role::Editor))
}

/// The public's words are the search engine's (staff may see drafts, which the index does not
/// hold): what it finds narrows the filter, the calendar's order stays. Where the index stood, for
/// the response cache.
fn find_words(
    engine: Option<&Engine>,
    q: Option<&str>,
    filter: &mut EventFilter,
) -> Result<Option<Position>, ApiError> {
    let (Some(engine), Some(q)) = (engine, q) else { return Ok(None) };
    let Some(found) = engine.matches(q, Kind::Event, filter.site_ids.clone())? else { return Ok(None) };
    filter.words.clear();
    filter.found = Some(found.ids);
    Ok(Some(found.at))
}

fn chair(chair: Option<&str>) -> Option<String> {
    chair.map(|c| crate::text::fold(c.trim())).filter(|c| !c.is_empty())
}

/// The window `[from, until)` named by `week`, `day` or `from`/`to`.
fn window(
    zone: Tz,
    week: Option<&str>,
    day: Option<NaiveDate>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<NaiveDateTime>, Option<NaiveDateTime>), ApiError> {
    let ways = [week.is_some(), day.is_some(), from.is_some() || to.is_some()].iter().filter(|w| **w).count();
    if ways > 1 {
        return Err(ApiError::BadRequest("Give one of `week`, `day`, or `from`/`to`.".into()));
    }
    if let Some(week) = week {
        let monday = parse_iso_week(week).ok_or_else(|| bad("week", "must be an ISO week such as 2026-W49"))?;
        return Ok((Some(local_midnight(monday, zone)), Some(local_midnight(monday + Duration::days(7), zone))));
    }
    if let Some(day) = day {
        return Ok((Some(local_midnight(day, zone)), Some(local_midnight(day + Duration::days(1), zone))));
    }
    let parse = |field: &str, value: &str, end: bool| crate::http::parse_instant(field, value, zone, end);
    let from = from.map(|f| parse("from", f, false)).transpose()?;
    let until = to.map(|t| parse("to", t, true).map(|t| t + Duration::microseconds(1))).transpose()?;
    if let (Some(from), Some(until)) = (from, until)
        && until <= from
    {
        return Err(bad("to", "must not be before `from`"));
    }
    Ok((from, until))
}

fn parse_status(status: Option<&str>, user: &Option<AuthUser>) -> Result<Option<EventStatus>, ApiError> {
    let Some(status) = status else { return Ok(None) };
    match user {
        None => return Err(ApiError::Unauthorized("Filtering by `status` is for staff: send an access token.".into())),
        Some(u) => u.require(&[Role::Editor])?,
    }
    EventStatus::parse(status).map(Some).ok_or_else(|| bad("status", "must be draft, scheduled, changed or cancelled"))
}

/// List events by time: a range (`from`, `to`), an ISO `week` (Monday to Sunday) or a `day`.
#[utoipa::path(
    tag = "events",
    params(EventListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of events, by start time", body = ListResponse<Event>,
            headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                    ("X-Total-Count" = i64, description = "Events matching, over all pages"))),
        (status = 401, description = "`status` without a token, or an invalid token"),
        (status = 403, description = "`status` with a role that may not see drafts"),
    )
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: MaybeUser,
    query: ApiQuery<EventListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (user, query) = (user.0, query.0);
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<Event>(query.fields.as_deref())?;
    let descending = match query.sort.as_deref() {
        None | Some("starts_at") => false,
        Some("-starts_at") => true,
        Some(_) => return Err(bad("sort", "must be starts_at or -starts_at")),
    };
    let status = parse_status(query.status.as_deref(), &user)?;
    let (from, until) =
        window(state.config.time_zone(), query.week.as_deref(), query.day, query.from.as_deref(), query.to.as_deref())?;
    let staff = is_staff(&user);
    let mut filter = EventFilter {
        from,
        until,
        chair: chair(query.chair.as_deref()),
        words: crate::text::search_words(query.q.as_deref()),
        status,
        include_drafts: staff,
        own_site: if staff { user.as_ref().and_then(|u| u.site_id) } else { None },
        ..EventFilter::default()
    };
    let engine = if staff { None } else { Engine::of(&state) };
    let (events, total, at) = db::run(&state.db, move |conn| {
        filter.site_ids = sites::site_filter(conn, &query.site)?;
        let at = find_words(engine.as_ref(), query.q.as_deref(), &mut filter)?;
        let (rows, total) = repo::list(conn, &filter, descending, paging.offset(), paging.limit())?;
        Ok((repo::to_events(conn, rows)?, total, at))
    })
    .await?;
    let mut res = list_response(&req, fields.apply(events), total, paging);
    search::mark_drawn_from_index(&mut res, at);
    Ok(res)
}

/// One week of the calendar, Monday to Sunday, with every day present (empty ones too): what a
/// week page renders.
#[utoipa::path(
    tag = "events",
    params(("week" = String, Path, description = "ISO week, `2026-W49`"), WeekQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The seven days and their events", body = Week),
        (status = 401, description = "An invalid token"),
    )
)]
#[get("/events/week/{week}")]
pub async fn week_of_events(
    state: web::Data<AppState>,
    user: MaybeUser,
    week: web::Path<String>,
    query: ApiQuery<WeekQuery>,
) -> Result<HttpResponse, ApiError> {
    let (user, query) = (user.0, query.0);
    let zone = state.config.time_zone();
    let monday = parse_iso_week(&week)
        .ok_or_else(|| ApiError::BadRequest(format!("`{week}` is not an ISO week; write it as 2026-W49.")))?;
    let staff = is_staff(&user);
    let mut filter = EventFilter {
        from: Some(local_midnight(monday, zone)),
        until: Some(local_midnight(monday + Duration::days(7), zone)),
        chair: chair(query.chair.as_deref()),
        words: crate::text::search_words(query.q.as_deref()),
        include_drafts: staff,
        own_site: if staff { user.as_ref().and_then(|u| u.site_id) } else { None },
        ..EventFilter::default()
    };
    let engine = if staff { None } else { Engine::of(&state) };
    let (rows, events, at) = db::run(&state.db, move |conn| {
        filter.site_ids = sites::site_filter(conn, &query.site)?;
        let at = find_words(engine.as_ref(), query.q.as_deref(), &mut filter)?;
        let (rows, _) = repo::list(conn, &filter, false, 0, 10_000)?;
        let events = repo::to_events(conn, rows.clone())?;
        Ok((rows, events, at))
    })
    .await?;
    let days = (0..7)
        .map(|i| {
            let date = monday + Duration::days(i);
            let (start, end) = (local_midnight(date, zone), local_midnight(date + Duration::days(1), zone));
            let on_day = rows
                .iter()
                .zip(&events)
                .filter(|(row, _)| row.starts_at < end && (row.ends_at > start || row.starts_at >= start))
                .map(|(_, event)| event.clone())
                .collect();
            Day {
                date,
                weekday: date.weekday().number_from_monday(),
                weekday_name: VIETNAMESE_WEEKDAYS[date.weekday().num_days_from_monday() as usize].to_owned(),
                events: on_day,
            }
        })
        .collect();
    let mut res = HttpResponse::Ok().json(Week {
        week: iso_week_of(monday),
        starts_on: monday,
        ends_on: monday + Duration::days(6),
        time_zone: zone.name().to_owned(),
        previous_week: iso_week_of(monday - Duration::days(7)),
        next_week: iso_week_of(monday + Duration::days(7)),
        days,
    });
    search::mark_drawn_from_index(&mut res, at);
    Ok(res)
}

/// The calendar as an iCalendar (RFC 5545) feed for calendar apps to subscribe to. Cancelled and
/// deleted events stay in it as `STATUS:CANCELLED`, so that subscribers remove them.
#[utoipa::path(
    tag = "events",
    params(IcsQuery),
    responses((status = 200, description = "An iCalendar document", content_type = "text/calendar", body = String))
)]
#[get("/events.ics")]
pub async fn events_ics(state: web::Data<AppState>, query: ApiQuery<IcsQuery>) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let zone = state.config.time_zone();
    let (from, until) = window(zone, None, None, query.from.as_deref(), query.to.as_deref())?;
    let from = from.or_else(|| Some(db::now() - Duration::days(90)));
    let mut filter = EventFilter {
        from,
        until,
        chair: chair(query.chair.as_deref()),
        words: crate::text::search_words(query.q.as_deref()),
        include_deleted: true,
        ..EventFilter::default()
    };
    let (rows, name) = db::run(&state.db, move |conn| {
        filter.site_ids = sites::site_filter(conn, &query.site)?;
        let (rows, _) = repo::list(conn, &filter, false, 0, 50_000)?;
        let name = match filter.site_ids.as_deref() {
            Some([only]) => sites::find_site_by_id(conn, *only)?.map(|s| s.name),
            _ => None,
        };
        Ok((rows, name))
    })
    .await?;
    let name = format!("Lịch công tác{}", name.map(|n| format!(" - {n}")).unwrap_or_default());
    Ok(HttpResponse::Ok().content_type("text/calendar; charset=utf-8").body(ics::calendar(&name, &rows)))
}

fn visible(row: &EventRow, user: &Option<AuthUser>) -> bool {
    row.status() != EventStatus::Draft
        || (is_staff(user) && user.as_ref().is_some_and(|u| u.covers_site(Some(row.site_id))))
}

/// One event.
#[utoipa::path(
    tag = "events",
    params(("id" = i64, Path, description = "The event's id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 401, description = "An invalid token"),
        (status = 404, description = "No such event, or a draft the caller may not see"),
    )
)]
#[get("/events/{id}")]
pub async fn get_event(
    state: web::Data<AppState>,
    user: MaybeUser,
    id: web::Path<i64>,
) -> Result<web::Json<Event>, ApiError> {
    let (user, id) = (user.0, id.into_inner());
    let event = db::run(&state.db, move |conn| {
        let row =
            repo::find_row(conn, id)?.filter(|r| visible(r, &user)).ok_or_else(|| ApiError::not_found("event"))?;
        repo::to_events(conn, vec![row])?.pop().ok_or_else(|| ApiError::not_found("event"))
    })
    .await?;
    Ok(web::Json(event))
}

/// Of these events, those the public sees, as it sees them (the change feed's payloads).
pub fn public_by_ids(
    conn: &mut crate::db::DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Value>, ApiError> {
    let rows = repo::public_rows(conn, ids)?;
    repo::to_events(conn, rows)?
        .into_iter()
        .map(|e| Ok((e.id, serde_json::to_value(&e).map_err(ApiError::internal)?)))
        .collect()
}

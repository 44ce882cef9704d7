//! The work calendar (lịch công tác): the leadership's events by week, as JSON and as a
//! subscribable iCalendar feed, with a trail of every change.

pub mod ics;
pub mod model;
mod reads;
pub mod repo;
mod writes;

use utoipa_actix_web::service_config::ServiceConfig;

pub use reads::{events_ics, get_event, list_events, public_by_ids, week_of_events};
/// The public ones among some ids, as rows (what search indexes) or ids.
pub use repo::{public_ids, public_rows};
pub use writes::{cancel_event, create_event, delete_event, restore_revision, update_event};

/// Routes whose anonymous answers the response cache may share: they read events and sites, both
/// with content-version triggers.
pub const SHARED_ROUTES: &[&str] =
    &["/api/v1/events", "/api/v1/events/week/{week}", "/api/v1/events.ics", "/api/v1/events/{id}"];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_events)
        .service(events_ics)
        .service(week_of_events)
        .service(create_event)
        .service(get_event)
        .service(update_event)
        .service(cancel_event)
        .service(delete_event);
}

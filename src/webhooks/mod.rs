//! Webhooks: a site's admins register endpoints, and muni POSTs each event to them, signed as
//! Standard Webhooks says, in order per endpoint, at least once. Events come from the change log
//! (the outbox, written in the transaction of each change); see [`worker`] for how they are fanned
//! out and sent, and [`address`] for where they may not go.

pub mod address;
mod events;
mod handlers;
pub mod model;
mod repo;
mod signing;
mod worker;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{
    create_webhook, delete_webhook, get_delivery, get_webhook, list_deliveries, list_event_types, list_webhooks,
    pause_webhook, ping_webhook, redeliver, resume_webhook, rotate_webhook_secret, update_webhook,
};
pub use worker::{fan_out, start};

use crate::db::DbConn;

pub fn routes(cfg: &mut ServiceConfig) {
    // The fixed path before the one with an id.
    cfg.service(list_event_types)
        .service(create_webhook)
        .service(list_webhooks)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(pause_webhook)
        .service(resume_webhook)
        .service(rotate_webhook_secret)
        .service(ping_webhook)
        .service(list_deliveries)
        .service(get_delivery)
        .service(redeliver);
}

/// Days a finished delivery (delivered or failed) stays visible to admins.
pub const DELIVERY_RETENTION_DAYS: i64 = 30;

/// Forgets finished deliveries older than [`DELIVERY_RETENTION_DAYS`]; returns how many.
pub fn forget_old_deliveries(conn: &mut DbConn) -> diesel::QueryResult<usize> {
    repo::forget_finished(conn, crate::db::now() - chrono::Duration::days(DELIVERY_RETENTION_DAYS))
}

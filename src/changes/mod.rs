//! The change feed: everything the public can see, as it changes, in commit order, read from the
//! change log that triggers write in the same transaction as each change (migration `changes`).
//! A province mirrors a ward by reading it from the start, then polling with the cursor it got.

mod feed;
pub mod model;
pub mod repo;

use utoipa_actix_web::service_config::ServiceConfig;

pub use feed::list_changes;

/// What other modules may read of the change log.
pub use model::{ChangeRow, Position, ResourceType};
pub use repo::{after, last_position, payloads, position_at, public_after};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_changes);
}

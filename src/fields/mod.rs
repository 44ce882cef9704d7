//! Fields of administration (lĩnh vực): the list procedures and questions are filed under.

mod handlers;
pub mod model;
pub mod repo;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::list_fields;

/// What other resources may ask of fields.
pub use repo::{by_code, by_ids, filter_id, list};

/// Routes whose anonymous answers the response cache may share: they read fields alone, which has
/// content-version triggers.
pub const SHARED_ROUTES: &[&str] = &["/api/v1/fields"];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_fields);
}

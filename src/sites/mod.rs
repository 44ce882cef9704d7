//! Sites: the wards and communes a deployment serves. A single-ward deployment has one,
//! created on first start from configuration; a province has many.

mod handlers;
pub mod model;
pub mod repo;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{create_site, get_site, list_sites, update_site};

/// Routes whose anonymous answers the response cache may share: they read sites alone.
pub const SHARED_ROUTES: &[&str] = &["/api/v1/sites", "/api/v1/sites/{key}"];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_sites).service(create_site).service(get_site).service(update_site);
}

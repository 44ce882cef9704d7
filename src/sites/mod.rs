//! Sites: the wards and communes a deployment serves. A single-ward deployment has one,
//! created on first start from configuration; a province has many.

mod handlers;
pub mod model;
pub mod repo;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{create_site, get_site, list_sites, public_by_ids, restore_revision, update_site};

/// Tenancy, as every resource uses it: which sites a request names (`site_filter`), which one a
/// user may write to (`site_for_write`), and sites by code or id.
pub use repo::{ensure_default_site, find_site, find_site_by_id, refs_by_id, rows_by_ids, site_filter, site_for_write};

/// Routes whose anonymous answers the response cache may share: they read sites alone.
pub const SHARED_ROUTES: &[&str] = &["/api/v1/sites", "/api/v1/sites/{key}"];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_sites).service(create_site).service(get_site).service(update_site);
}

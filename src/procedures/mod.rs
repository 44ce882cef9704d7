//! Administrative procedures (thủ tục hành chính): the national record, imported in bulk by code
//! from JSON, JSON Lines, CSV or XLSX, kept in sync by re-import, and served with filters, facets
//! and search.

mod forms;
mod handlers;
pub mod import;
pub mod model;
pub mod repo;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::*;

/// A site's pages for its sitemap.
pub use repo::{count_pages, pages};
/// The public ones among some ids, as rows (what search indexes) or ids.
pub use repo::{public_ids, public_rows};

/// Routes whose anonymous answers the response cache may share: they read procedures, fields and
/// sites, all with content-version triggers.
pub const SHARED_ROUTES: &[&str] = &["/api/v1/procedures", "/api/v1/procedures/facets", "/api/v1/procedures/{key}"];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_procedures)
        .service(procedure_facets)
        .service(export_procedures)
        .service(import_procedures)
        .service(create_procedure)
        .service(get_procedure)
        .service(update_procedure)
        .service(delete_procedure);
}

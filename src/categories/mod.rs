//! Categories: a tree of sections per site (Thông tin tuyên truyền, its sub-sections, ...), each
//! with a slug and a position among its siblings.

mod handlers;
pub mod model;
pub mod repo;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{
    create_category, delete_category, get_category, list_categories, public_by_ids, restore_revision, update_category,
};

/// What other resources may ask of categories: one by id, all of a site, a subtree.
pub use repo::{find_row, list_all, with_descendants};

/// A site's pages for its sitemap.
pub use repo::{count_pages, pages};

/// Routes whose anonymous answers the response cache may share: they read categories, sites and
/// articles (counts), all with content-version triggers.
pub const SHARED_ROUTES: &[&str] = &["/api/v1/categories", "/api/v1/categories/{key}"];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_categories)
        .service(create_category)
        .service(get_category)
        .service(update_category)
        .service(delete_category);
}

//! Sitemaps (sitemaps.org) of a site's portal: its categories, public articles, procedures and
//! published questions, at the addresses of the portal's pages (the site's `public_url` and page
//! templates), with `lastmod` from the content. Past the per-file limit (50,000 URLs, the
//! protocol's), the sitemap is an index of numbered parts.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{sitemap, sitemap_part};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(sitemap).service(sitemap_part);
}

//! Articles: news, reports and plans in categories, with a draft -> published -> archived
//! lifecycle, scheduled publication, search, slugs with history, and soft deletion.

mod feeds;
mod images;
pub mod model;
pub mod query;
mod reads;
pub mod repo;
mod tags;
mod writes;

use utoipa_actix_web::service_config::ServiceConfig;

pub use feeds::{articles_atom, articles_rss};
pub use reads::{
    adjacent_articles, article_changes, category_with_descendants, get_article, list_articles, public_by_ids,
    related_articles,
};
pub use tags::{get_tag, list_tags};
pub use writes::{
    archive_article, create_article, delete_article, publish_article, restore_revision, unpublish_article,
    update_article,
};

/// A site's pages for its sitemap.
pub use repo::{count_pages, pages};
/// The public ones among some ids, as rows (what search indexes).
pub use repo::{public_ids, public_rows, tag_names_of};

/// Routes whose anonymous answers the response cache may share while the content is unchanged.
/// They read articles, article_tags, article_slugs, categories, sites and users (display names),
/// each of which advances the content version (see `cache`); a route reading another table must
/// not be listed.
pub const SHARED_ROUTES: &[&str] = &[
    "/api/v1/articles",
    "/api/v1/articles/{key}",
    "/api/v1/articles/{key}/adjacent",
    "/api/v1/articles/{key}/related",
    "/api/v1/articles.rss",
    "/api/v1/articles.atom",
    "/api/v1/tags",
    "/api/v1/tags/{slug}",
];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_articles)
        .service(articles_rss)
        .service(articles_atom)
        .service(article_changes)
        .service(create_article)
        .service(get_article)
        .service(adjacent_articles)
        .service(related_articles)
        .service(update_article)
        .service(delete_article)
        .service(publish_article)
        .service(unpublish_article)
        .service(archive_article)
        .service(list_tags)
        .service(get_tag);
}

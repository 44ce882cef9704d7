//! The media library: photos and documents that staff upload, typed by their bytes, stored
//! content-addressed ([`store`]), images processed off the request path ([`process`]: upright,
//! metadata stripped, variants in WebP and their own format, a placeholder colour), served
//! immutable with `Range` (`/media/{address}/{name}`).

mod handlers;
pub mod model;
mod process;
mod repo;
mod serve;
pub mod sniff;
pub mod store;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{delete_media, get_media, list_media, replace_media_file, update_media, upload_media};
pub use process::start as start_processing;
pub use serve::serve_media;

use crate::db::DbConn;
use model::{Media, MediaRow};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(upload_media)
        .service(list_media)
        .service(get_media)
        .service(update_media)
        .service(replace_media_file)
        .service(delete_media);
}

/// Items by id, for the resources that use them (`base` starts their URLs).
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> diesel::QueryResult<Vec<MediaRow>> {
    repo::by_ids(conn, ids)
}

/// Records what one resource uses in one role (`article` 12 uses 7 as its `cover`).
pub fn set_uses(
    conn: &mut DbConn,
    resource: &str,
    resource_id: i64,
    role: &str,
    ids: &[i64],
) -> diesel::QueryResult<()> {
    repo::set_uses(conn, resource, resource_id, role, ids)
}

/// The public view of an item (without what uses it).
pub fn public_view(row: &MediaRow, base: &str, site: crate::sites::model::SiteRef) -> Media {
    row.view(base, site, Vec::new())
}

/// Removes stored objects that no item names any more (after a day's grace); returns how many.
pub fn collect_garbage(conn: &mut DbConn, store: &store::Store) -> Result<usize, String> {
    let in_use = repo::addresses_in_use(conn).map_err(|e| e.to_string())?;
    store.collect_garbage(&in_use, std::time::Duration::from_secs(24 * 3600)).map_err(|e| e.to_string())
}

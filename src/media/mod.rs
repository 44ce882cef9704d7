//! The media library: photos and documents that staff upload, typed by their bytes, stored
//! content-addressed ([`store`]), images processed off the request path ([`process`]: upright,
//! metadata stripped, variants in WebP and their own format, a placeholder colour), served
//! immutable with `Range` (`/media/{address}/{name}`), from the local folder or a bucket.

mod handlers;
pub mod model;
mod process;
mod remote;
mod repo;
mod serve;
pub mod sniff;
pub mod store;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{delete_media, get_media, list_media, replace_media_file, update_media, upload_media};
pub use process::start as start_processing;
pub use serve::serve_media;

use crate::db::DbConn;
use crate::error::{ApiError, FieldError};
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

/// Library files as the content naming them shows them, by id (items not ready, or gone after a
/// forced delete, are left out).
pub fn attachments(
    conn: &mut DbConn,
    ids: &[i64],
) -> diesel::QueryResult<std::collections::HashMap<i64, model::Attachment>> {
    Ok(public_views(conn, ids)?
        .into_values()
        .filter_map(|view| {
            let url = view.url?;
            Some((
                view.id,
                model::Attachment {
                    id: view.id,
                    kind: view.kind,
                    url,
                    filename: view.filename,
                    title: view.title,
                    media_type: view.media_type,
                    size: view.size,
                },
            ))
        })
        .collect())
}

/// What content may use from the library: items of its own site (`wrong_site` is the message for
/// another site's), of one kind or any, with alt text when the content is public (`need_alt`).
pub struct Usable<'a> {
    pub site_id: i64,
    pub wrong_site: &'a str,
    pub kind: Option<model::MediaKind>,
    pub need_alt: bool,
}

impl Usable<'_> {
    /// What is wrong with the items `named` (each with the field that names it), one error each.
    pub fn errors(&self, conn: &mut DbConn, named: &[(String, i64)]) -> diesel::QueryResult<Vec<FieldError>> {
        if named.is_empty() {
            return Ok(Vec::new());
        }
        let found = repo::by_ids(conn, &named.iter().map(|(_, id)| *id).collect::<Vec<_>>())?;
        let mut errors = Vec::new();
        for (field, id) in named {
            let field = field.clone();
            let Some(item) = found.iter().find(|m| m.id == *id) else {
                errors.push(FieldError::new(field, "not_found", "no media item has this id"));
                continue;
            };
            if item.site_id != self.site_id {
                errors.push(FieldError::new(field, "invalid_value", self.wrong_site));
            } else if self.kind.is_some_and(|kind| item.kind() != kind) {
                let message = match self.kind {
                    Some(model::MediaKind::Image) => "must be an image",
                    _ => "must be a document",
                };
                errors.push(FieldError::new(field, "invalid_value", message));
            } else if self.need_alt && item.alt.as_deref().is_none_or(|a| a.trim().is_empty()) {
                errors.push(FieldError::new(
                    field,
                    "missing_alt",
                    format!(
                        "has no alt text: describe it (PATCH /api/v1/media/{id}) before a published article uses it"
                    ),
                ));
            }
        }
        Ok(errors)
    }

    /// A list of items (`field`: `attachment_media_ids`): at most `max`, none twice, each usable;
    /// 422 naming each fault (`attachment_media_ids[1]`).
    pub fn check_list(&self, conn: &mut DbConn, field: &str, ids: &[i64], max: usize) -> Result<(), ApiError> {
        let mut errors = list_errors(field, ids, max, "files");
        if errors.is_empty() {
            let named: Vec<(String, i64)> =
                ids.iter().enumerate().map(|(i, id)| (format!("{field}[{i}]"), *id)).collect();
            errors = self.errors(conn, &named)?;
        }
        if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
    }
}

/// A list of library items as written: at most `max` (`what`: `images` or `files`), none twice.
pub fn list_errors(field: &str, ids: &[i64], max: usize, what: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if ids.len() > max {
        let message =
            if what == "images" { format!("holds at most {max} images") } else { format!("holds at most {max} files") };
        errors.push(FieldError::new(field, "too_long", message));
    }
    let mut seen = std::collections::HashSet::new();
    if ids.iter().any(|id| !seen.insert(id)) {
        errors.push(FieldError::new(field, "invalid_value", "names an item twice"));
    }
    errors
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

/// Items by id as the content that shows them gives them (without their site's name or what uses
/// them), for covers, galleries, inline images, attachments and forms.
pub fn public_views(conn: &mut DbConn, ids: &[i64]) -> diesel::QueryResult<std::collections::HashMap<i64, Media>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(repo::by_ids(conn, ids)?
        .into_iter()
        .map(|row| {
            let site = crate::sites::model::SiteRef { id: row.site_id, code: String::new(), name: String::new() };
            (row.id, row.view("", site, Vec::new()))
        })
        .collect())
}

/// Adds a file made here (the demo's photos) to a site's library, as an upload would: typed by
/// its bytes, stored, and (an image) left for the processing thread. Returns the item and the
/// path its full-size file will have once processed.
pub fn add_file(
    conn: &mut DbConn,
    store: &store::Store,
    site_id: i64,
    filename: &str,
    bytes: &[u8],
    alt: Option<&str>,
) -> Result<(MediaRow, String), ApiError> {
    let file_type = sniff::sniff(&mut std::io::Cursor::new(bytes))
        .ok_or_else(|| ApiError::UnsupportedMediaType(format!("{filename} is not a file the library takes")))?;
    let address = store.put(bytes).map_err(ApiError::internal)?;
    let image = file_type.is_image();
    let variants =
        if image { "[]".to_owned() } else { model::document_variants(file_type, &address, bytes.len() as i64) };
    let row = match repo::find_by_address(conn, site_id, &address)? {
        Some(row) => row,
        None => repo::insert(
            conn,
            &repo::NewMedia {
                site_id,
                sha256: &address,
                kind: if image { model::MediaKind::Image } else { model::MediaKind::Document },
                media_type: file_type.media_type(),
                filename,
                size: bytes.len() as i64,
                status: if image { model::MediaStatus::Processing } else { model::MediaStatus::Ready },
                variants,
                title: None,
                alt,
                caption: None,
                credit: None,
                uploaded_by: None,
            },
        )?,
    };
    let main = match file_type {
        sniff::FileType::Jpeg => "full.jpg".to_owned(),
        sniff::FileType::Png | sniff::FileType::Gif => "full.png".to_owned(),
        sniff::FileType::WebP => "full.webp".to_owned(),
        other => format!("file.{}", other.extension()),
    };
    let path = format!("/media/{}/{main}", row.sha256);
    Ok((row, path))
}

/// How long an object no item names is kept: an upload stores its object before its row commits.
pub const GARBAGE_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Removes stored objects that no item has named for `grace` ([`GARBAGE_GRACE`]); returns how many.
pub fn collect_garbage(conn: &mut DbConn, store: &store::Store, grace: std::time::Duration) -> Result<usize, String> {
    let in_use = repo::addresses_in_use(conn).map_err(|e| e.to_string())?;
    store.collect_garbage(&in_use, grace).map_err(|e| e.to_string())
}

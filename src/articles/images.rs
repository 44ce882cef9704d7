//! The library images an article uses: its cover, its gallery and the images its body names.
//! Each must be an image of the article's site; a public article needs the alt text of its cover
//! and gallery (accessibility), so publishing without it is refused.

use crate::db::DbConn;
use crate::error::{ApiError, FieldError};

/// The most photos a gallery holds.
pub const MAX_GALLERY: usize = 50;

/// A gallery as written: at most [`MAX_GALLERY`] items, none twice.
pub fn validate_gallery(ids: &[i64], errors: &mut Vec<FieldError>) {
    errors.extend(crate::media::list_errors("gallery_media_ids", ids, MAX_GALLERY, "images"));
}

/// Checks the cover and the gallery (one query for both); `public`: the article is or becomes
/// published, so each needs its alt text.
pub fn check_images(
    conn: &mut DbConn,
    cover: Option<i64>,
    gallery: &[i64],
    site_id: i64,
    public: bool,
) -> Result<(), ApiError> {
    let named: Vec<(String, i64)> = cover
        .map(|id| ("cover_media_id".to_owned(), id))
        .into_iter()
        .chain(gallery.iter().enumerate().map(|(i, id)| (format!("gallery_media_ids[{i}]"), *id)))
        .collect();
    if public {
        // The alt text read here must hold until this commits: a concurrent removal of it waits
        // (it sees this article public once it may go on). In id order, so two writers never
        // wait for each other.
        let mut locking: Vec<i64> = named.iter().map(|(_, id)| *id).collect();
        locking.sort_unstable();
        locking.dedup();
        for id in locking {
            crate::db::lock_row(conn, "media", id)?;
        }
    }
    let rules = crate::media::Usable {
        site_id,
        wrong_site: "must be an item of the article's site",
        kind: Some(crate::media::model::MediaKind::Image),
        need_alt: public,
    };
    let errors = rules.errors(conn, &named)?;
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// The library images a body names (`<img data-media-id="N">`) must be images of the article's
/// site; on read each gets its current address, `srcset` and size (and the library's alt text
/// where the tag has none).
pub fn check_inline_media(conn: &mut DbConn, ids: &[i64], site_id: i64) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = crate::media::by_ids(conn, ids)?;
    for id in ids {
        match found.iter().find(|m| m.id == *id) {
            None => {
                return Err(ApiError::invalid(
                    "body",
                    "not_found",
                    format!("names media item {id}, which does not exist"),
                ));
            }
            Some(m) if m.site_id != site_id || m.kind != "image" => {
                return Err(ApiError::invalid(
                    "body",
                    "invalid_value",
                    format!("names media item {id}, which is not an image of the article's site"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

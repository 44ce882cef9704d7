//! `/media/{address}/{name}`: the files of the library, immutable, with `Range`.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::model::{MediaKind, MediaStatus};
use super::repo;
use super::store::{Store, is_address};
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// A file of the library: a variant of an image or a document, by the content address the item's
/// URLs carry. Immutable (the address changes with the bytes), with `ETag`, `Last-Modified` and
/// `Range`; documents download under their uploaded name.
#[utoipa::path(
    tag = "media",
    params(
        ("address" = String, Path, description = "The item's content address (from its URLs)"),
        ("name" = String, Path, description = "The variant: `w640.webp`, `full.jpg`, `file.pdf`, ..."),
    ),
    security(()),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 206, description = "The part a `Range` asked for", content_type = "application/octet-stream"),
        (status = 404, description = "No such file (or not processed yet)"),
    )
)]
#[get("/media/{address}/{name}")]
pub async fn serve_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (address, name) = path.into_inner();
    if !is_address(&address) {
        return Err(ApiError::not_found("file"));
    }
    let row = db::run(&state.db, move |conn| Ok(repo::any_by_address(conn, &address)?)).await?;
    let Some(row) = row.filter(|r| r.status() == MediaStatus::Ready) else { return Err(ApiError::not_found("file")) };
    let variant = row.variants().into_iter().find(|v| v.name == name).ok_or_else(|| ApiError::not_found("file"))?;
    let file = actix_files::NamedFile::open_async(store.path(&variant.address))
        .await
        .map_err(|_| ApiError::not_found("file"))?;
    let disposition = if row.kind() == MediaKind::Image {
        ContentDisposition { disposition: DispositionType::Inline, parameters: vec![] }
    } else {
        download_disposition(&row.filename)
    };
    let mime: mime::Mime = variant.media_type.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let mut response = file
        .set_content_type(mime)
        .set_content_disposition(disposition)
        .set_content_encoding(actix_web::http::header::ContentEncoding::Identity)
        .into_response(&req);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("public, max-age=31536000, immutable"));
    Ok(response)
}

/// `attachment` with the name in ASCII (for old clients) and in UTF-8 (RFC 6266, RFC 8187).
fn download_disposition(filename: &str) -> ContentDisposition {
    let ascii: String = crate::text::slugify_filename(filename);
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(header::ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: filename.as_bytes().to_vec(),
            }),
        ],
    }
}

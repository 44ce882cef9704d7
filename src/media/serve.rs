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
    let disposition = if row.kind() == MediaKind::Image {
        ContentDisposition { disposition: DispositionType::Inline, parameters: vec![] }
    } else {
        download_disposition(&row.filename)
    };
    let mime: mime::Mime = variant.media_type.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let Some(path) = store.local_path(&variant.address) else {
        let remote = store.remote().expect("a store without local files has a bucket");
        let file = Remote { address: &variant.address, size: variant.size.max(0) as u64, mime, disposition };
        return file.answer(&req, remote).await;
    };
    let file = actix_files::NamedFile::open_async(path).await.map_err(|_| ApiError::not_found("file"))?;
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

/// A file in the bucket, answered as `NamedFile` answers a local one: `ETag` (the address),
/// `If-None-Match`, one `Range` (several, or an unreadable one, get the whole file; one past the
/// end a 416), streamed from the store.
struct Remote<'a> {
    address: &'a str,
    size: u64,
    mime: mime::Mime,
    disposition: ContentDisposition,
}

impl Remote<'_> {
    async fn answer(self, req: &HttpRequest, remote: &super::remote::Remote) -> Result<HttpResponse, ApiError> {
        let etag = format!("\"{}\"", self.address);
        let mut response = HttpResponse::Ok();
        response
            .insert_header((header::ETAG, etag.clone()))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::ACCEPT_RANGES, "bytes"))
            .insert_header((header::CONTENT_ENCODING, "identity"));
        let matches = |value: &str| value.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*");
        if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(matches) {
            return Ok(response.status(actix_web::http::StatusCode::NOT_MODIFIED).finish());
        }
        let range = match req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()) {
            None => None,
            Some(asked) => match actix_files::HttpRange::parse(asked, self.size) {
                Ok(ranges) if ranges.len() == 1 => Some(ranges[0]),
                Ok(_) => None,
                Err(_) if asked.trim_start().starts_with("bytes=") && self.size > 0 => {
                    return Ok(HttpResponse::RangeNotSatisfiable()
                        .insert_header((header::CONTENT_RANGE, format!("bytes */{}", self.size)))
                        .finish());
                }
                Err(_) => None,
            },
        };
        let wanted = range.map(|r| r.start..r.start + r.length);
        let body = remote.stream(self.address, wanted.clone()).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound { ApiError::not_found("file") } else { ApiError::internal(e) }
        })?;
        response.content_type(self.mime).insert_header((header::CONTENT_DISPOSITION, self.disposition));
        let length = match &wanted {
            Some(part) => {
                response.status(actix_web::http::StatusCode::PARTIAL_CONTENT).insert_header((
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{}", part.start, part.end - 1, self.size),
                ));
                part.end - part.start
            }
            None => self.size,
        };
        Ok(response.no_chunking(length).streaming(body))
    }
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

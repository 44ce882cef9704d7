//! `/api/v1/media`: uploads (multipart or a raw body), the library, descriptions, replacing and
//! deleting; `/media/{address}/{name}` serves the bytes.

use actix_web::http::header::{self, ContentDisposition};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::model::{
    DeleteQuery, Media, MediaChange, MediaKind, MediaListQuery, MediaRow, MediaStatus, MediaUpload, RawUpload,
    UploadQuery, check_texts, document_variants,
};
use super::process;
use super::repo::{self, Filter, NewFile, NewMedia};
use super::sniff::{self, ACCEPTED, FileType};
use super::store::{Staged, Store};
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError};
use crate::http::{ApiJson, ApiQuery, Fields, ListResponse, Paging, list_response, parse_instant};
use crate::state::AppState;

/// Descriptive fields sent with a multipart upload.
#[derive(Default)]
struct Described {
    site: Option<String>,
    title: Option<String>,
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
}

/// What an upload was, once received and checked.
struct Received {
    file_type: FileType,
    address: String,
    size: i64,
    filename: String,
}

/// Library URLs are paths on this API (`/media/...`), in the media answers as in the articles
/// that use them: prefix the API's address to fetch them from elsewhere.
const BASE: &str = "";

fn view(conn: &mut DbConn, base: &str, row: &MediaRow) -> Result<Media, ApiError> {
    let site = crate::sites::refs_by_id(conn, vec![row.site_id])?
        .remove(&row.site_id)
        .ok_or_else(|| ApiError::not_found("site"))?;
    let used_by = repo::uses_of(conn, &[row.id])?.remove(&row.id).unwrap_or_default();
    Ok(row.view(base, site, used_by))
}

/// Reads a body into a staging file, refusing it past `max` bytes.
async fn receive<E: std::fmt::Display>(
    store: &Store,
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    max: u64,
    read_error: impl Fn(E) -> ApiError,
) -> Result<Staged, ApiError> {
    let mut staged = store.stage().map_err(ApiError::internal)?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(&read_error)?;
        if staged.size + chunk.len() as u64 > max {
            return Err(ApiError::PayloadTooLarge(format!("Files may be at most {} MB.", max / (1024 * 1024))));
        }
        staged.write(&chunk).map_err(ApiError::internal)?;
    }
    if staged.size == 0 {
        return Err(ApiError::invalid("file", "required", "is empty"));
    }
    Ok(staged)
}

/// A name fit to offer a download under: its last path segment, without control characters, in
/// NFC, at most 200 characters; `file.<ext>` when nothing is left.
fn clean_filename(given: Option<&str>, ext: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let name = given.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = name.nfc().filter(|c| !c.is_control()).take(200).collect::<String>().trim().to_owned();
    if name.is_empty() || name == "." || name == ".." { format!("file.{ext}") } else { name }
}

/// Decides what a staged upload is and keeps it: 415 for what is not accepted, 413 past the
/// kind's limit, 422 for an image whose header claims too many pixels (before any decoding).
async fn check_and_keep(
    state: &AppState,
    store: &Store,
    staged: Staged,
    filename: Option<String>,
) -> Result<Received, ApiError> {
    let limits = (state.config.media.max_image_bytes, state.config.media.max_document_bytes);
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(staged.path()).map_err(ApiError::internal)?;
        let Some(file_type) = sniff::sniff(&mut file) else {
            if sniff::is_heif_file(&mut file) {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "HEIC and AVIF photos are not taken yet: export the photo as JPEG (on an iPhone: Settings > Camera > Formats > Most Compatible). The library takes {ACCEPTED}."
                )));
            }
            return Err(ApiError::UnsupportedMediaType(format!(
                "This is not a file the media library takes (decided by its content, not its name). It takes {ACCEPTED}."
            )));
        };
        let max = if file_type.is_image() { limits.0 } else { limits.1 };
        if staged.size > max {
            return Err(ApiError::PayloadTooLarge(format!(
                "{} files may be at most {} MB.",
                if file_type.is_image() { "Image" } else { "Document" },
                max / (1024 * 1024)
            )));
        }
        if file_type.is_image() {
            let (width, height) =
                process::dimensions(staged.path()).map_err(|why| ApiError::invalid("file", "invalid_value", why))?;
            if let Some(why) = process::too_large(width, height) {
                return Err(ApiError::invalid("file", "too_large", why));
            }
        }
        let size = staged.size as i64;
        let address = store.keep(staged).map_err(ApiError::internal)?;
        Ok(Received { file_type, address, size, filename: clean_filename(filename.as_deref(), file_type.extension()) })
    })
    .await
    .map_err(ApiError::internal)?
}

fn payload_error(e: actix_web::error::PayloadError) -> ApiError {
    crate::http::guard::body_read_error(&e)
}

fn multipart_error(e: actix_multipart::MultipartError) -> ApiError {
    match e {
        actix_multipart::MultipartError::Payload(p) => payload_error(p),
        other => ApiError::BadRequest(format!("The multipart body could not be read: {other}.")),
    }
}

/// Receives an upload as either form: multipart (`file` and descriptive parts) or a raw body.
async fn receive_upload(
    req: &HttpRequest,
    state: &AppState,
    store: &Store,
    payload: web::Payload,
    filename: Option<String>,
) -> Result<(Received, Described), ApiError> {
    let max = state.config.media.max_image_bytes.max(state.config.media.max_document_bytes);
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let mut described = Described::default();
    if !is_multipart {
        let from_header =
            req.headers().get(header::CONTENT_DISPOSITION).and_then(|v| ContentDisposition::from_raw(v).ok()).and_then(
                |cd| {
                    cd.get_filename_ext()
                        .map(|f| String::from_utf8_lossy(&f.value).to_string())
                        .or_else(|| cd.get_filename().map(str::to_owned))
                },
            );
        let staged = receive(store, payload, max, payload_error).await?;
        let received = check_and_keep(state, store, staged, filename.or(from_header)).await?;
        return Ok((received, described));
    }
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut received = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if received.is_some() {
                return Err(ApiError::invalid("file", "invalid_value", "send one file per upload"));
            }
            let given = field.content_disposition().and_then(|cd| cd.get_filename().map(str::to_owned));
            let staged = receive(store, &mut field, max, multipart_error).await?;
            received = Some(check_and_keep(state, store, staged, given.or(filename.clone())).await?);
            continue;
        }
        let mut text = Vec::new();
        while let Some(chunk) = field.next().await {
            text.extend_from_slice(&chunk.map_err(multipart_error)?);
            if text.len() > 8 * 1024 {
                return Err(ApiError::invalid(&name, "too_long", "is too long"));
            }
        }
        let text =
            String::from_utf8(text).map_err(|_| ApiError::invalid(&name, "invalid_value", "must be UTF-8 text"))?;
        let slot = match name.as_str() {
            "site" => &mut described.site,
            "title" => &mut described.title,
            "alt" => &mut described.alt,
            "caption" => &mut described.caption,
            "credit" => &mut described.credit,
            _ => {
                return Err(ApiError::BadRequestFields {
                    detail: format!("The upload has an unknown part `{name}`."),
                    errors: vec![FieldError::new(name, "unknown_field", "is not a part of an upload")],
                });
            }
        };
        *slot = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    }
    let received = received.ok_or_else(|| ApiError::invalid("file", "required", "the upload has no `file` part"))?;
    Ok((received, described))
}

/// Upload a photo or a document (editors). Send `multipart/form-data` with a `file` part (and
/// optionally `site`, `title`, `alt`, `caption`, `credit`), or the bytes as the body with
/// `?filename=` or `Content-Disposition`. The type is decided by the content: JPEG, PNG, GIF,
/// WebP, PDF, DOCX, XLSX, ODT, ODS, DOC, XLS; anything else is a 415. Images are processed after
/// the answer (`status: processing`, then `ready` with their variants). The same bytes uploaded
/// again to a site answer 200 with the item they already are.
#[utoipa::path(
    tag = "media",
    params(UploadQuery),
    request_body(content(
        (MediaUpload = "multipart/form-data"),
        (RawUpload = "application/octet-stream"),
    ), description = "The file: multipart, or the raw bytes"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored; `Location` names it", body = Media,
            headers(("Location" = String, description = "URL of the new item"))),
        (status = 200, description = "These bytes are in the site's library already", body = Media),
        (status = 413, description = "Larger than the limit for its kind"),
        (status = 415, description = "Not a kind of file the library takes"),
    )
)]
#[post("/media")]
pub async fn upload_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    store: web::Data<Store>,
    user: AuthUser,
    query: ApiQuery<UploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let query = query.0;
    let (received, described) = receive_upload(&req, &state, &store, payload, query.filename).await?;
    let errors = check_texts(&[
        ("title", described.title.as_deref()),
        ("alt", described.alt.as_deref()),
        ("caption", described.caption.as_deref()),
        ("credit", described.credit.as_deref()),
    ]);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let site = described.site.or(query.site);
    let (item, created) = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let given = match site.as_deref() {
                Some(code) => Some(
                    crate::sites::find_site(c, code)?
                        .ok_or_else(|| ApiError::invalid("site", "not_found", "no site has this code"))?
                        .id,
                ),
                None => None,
            };
            let site_id = crate::sites::site_for_write(c, &user, given)?;
            user.require_site(Some(site_id))?;
            if let Some(existing) = repo::find_by_address(c, site_id, &received.address)? {
                return Ok((view(c, BASE, &existing)?, false));
            }
            let image = received.file_type.is_image();
            let row = repo::insert(
                c,
                &NewMedia {
                    site_id,
                    sha256: &received.address,
                    kind: if image { MediaKind::Image } else { MediaKind::Document },
                    media_type: received.file_type.media_type(),
                    filename: &received.filename,
                    size: received.size,
                    status: if image { MediaStatus::Processing } else { MediaStatus::Ready },
                    variants: if image {
                        "[]".into()
                    } else {
                        document_variants(received.file_type, &received.address, received.size)
                    },
                    title: described.title.as_deref(),
                    alt: described.alt.as_deref(),
                    caption: described.caption.as_deref(),
                    credit: described.credit.as_deref(),
                    uploaded_by: Some(user.id),
                },
            )?;
            Ok((view(c, BASE, &row)?, true))
        })
    })
    .await?;
    Ok(if created {
        HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/media/{}", item.id))).json(item)
    } else {
        HttpResponse::Ok().json(item)
    })
}

/// Replace an item's file, keeping its id, description and uses (editors). Its URLs change with
/// the bytes; an image is processed again. It must stay the same kind (image or document).
#[utoipa::path(
    tag = "media",
    params(("id" = i64, Path, description = "The item's id"), UploadQuery),
    request_body(content(
        (MediaUpload = "multipart/form-data"),
        (RawUpload = "application/octet-stream"),
    ), description = "The new file: multipart, or the raw bytes"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = Media),
        (status = 404, description = "No such item"),
        (status = 413, description = "Larger than the limit for its kind"),
        (status = 415, description = "Not a kind of file the library takes"),
    )
)]
#[put("/media/{id}/file")]
pub async fn replace_media_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    store: web::Data<Store>,
    user: AuthUser,
    id: web::Path<i64>,
    query: ApiQuery<UploadQuery>,
    payload: web::Payload,
) -> Result<web::Json<Media>, ApiError> {
    user.require(&[Role::Editor])?;
    let id = id.into_inner();
    let (received, _) = receive_upload(&req, &state, &store, payload, query.0.filename).await?;
    let replaced = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            db::lock_row(c, "media", id)?;
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::not_found("media item"))?;
            user.require_site(Some(row.site_id))?;
            let image = received.file_type.is_image();
            if image != (row.kind() == MediaKind::Image) {
                return Err(ApiError::invalid("file", "invalid_value", "must be of the same kind (image or document)"));
            }
            let (status, variants) = if image {
                (MediaStatus::Processing, "[]".to_owned())
            } else {
                (MediaStatus::Ready, document_variants(received.file_type, &received.address, received.size))
            };
            let file = NewFile {
                sha256: &received.address,
                media_type: received.file_type.media_type(),
                filename: &received.filename,
                size: received.size,
                status,
                variants: &variants,
            };
            let row = repo::replace_file(c, id, &file)
                .map_err(crate::error::unique_as("file"))?
                .ok_or_else(|| ApiError::not_found("media item"))?;
            view(c, BASE, &row)
        })
    })
    .await?;
    Ok(web::Json(replaced))
}

/// The media library, newest first (editors).
#[utoipa::path(
    tag = "media",
    params(MediaListQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of items", body = ListResponse<Media>))
)]
#[get("/media")]
pub async fn list_media(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    query: ApiQuery<MediaListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<Media>(query.fields.as_deref())?;
    let zone = state.config.time_zone();
    let from = query.from.as_deref().map(|v| parse_instant("from", v, zone, false)).transpose()?;
    let to = query.to.as_deref().map(|v| parse_instant("to", v, zone, true)).transpose()?;
    let (items, total) = db::run(&state.db, move |conn| {
        let site_ids = match (user.site_id, query.site) {
            (Some(own), _) => Some(vec![own]),
            (None, Some(code)) => crate::sites::site_filter(conn, &[code])?,
            (None, None) => None,
        };
        let filter = Filter {
            site_ids,
            kind: query.kind,
            words: crate::text::search_words(query.q.as_deref()),
            uploaded_by: query.uploaded_by,
            unused: query.unused,
            missing_alt: query.missing_alt.unwrap_or(false),
            from,
            to,
        };
        let (rows, total) = repo::list(conn, &filter, paging.offset(), paging.limit())?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut uses = repo::uses_of(conn, &ids)?;
        let sites = crate::sites::refs_by_id(conn, rows.iter().map(|r| r.site_id).collect())?;
        let items = rows
            .iter()
            .filter_map(|r| Some(r.view(BASE, sites.get(&r.site_id)?.clone(), uses.remove(&r.id).unwrap_or_default())))
            .collect::<Vec<_>>();
        Ok((items, total))
    })
    .await?;
    Ok(list_response(&req, fields.apply(items), total, paging))
}

/// One item, with its variants and what uses it.
#[utoipa::path(
    tag = "media",
    params(("id" = i64, Path, description = "The item's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The item", body = Media), (status = 404, description = "No such item"))
)]
#[get("/media/{id}")]
pub async fn get_media(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Media>, ApiError> {
    user.require(&[Role::Editor])?;
    let id = id.into_inner();
    let found = db::run(&state.db, move |conn| {
        let row = repo::find(conn, id)?.ok_or_else(|| ApiError::not_found("media item"))?;
        user.require_site(Some(row.site_id))?;
        view(conn, BASE, &row)
    })
    .await?;
    Ok(web::Json(found))
}

/// Describe an item: title, alt text, caption, credit, when it was taken.
#[utoipa::path(
    tag = "media",
    params(("id" = i64, Path, description = "The item's id")),
    request_body = MediaChange,
    security(("bearer" = [])),
    responses((status = 200, description = "The item", body = Media), (status = 404, description = "No such item"))
)]
#[patch("/media/{id}")]
pub async fn update_media(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<MediaChange>,
) -> Result<web::Json<Media>, ApiError> {
    user.require(&[Role::Editor])?;
    let id = id.into_inner();
    let change = body.0;
    let flat = |v: &Option<Option<String>>| v.as_ref().and_then(|v| v.as_deref()).map(str::to_owned);
    let (title, alt, caption, credit) =
        (flat(&change.title), flat(&change.alt), flat(&change.caption), flat(&change.credit));
    let errors = check_texts(&[
        ("title", title.as_deref()),
        ("alt", alt.as_deref()),
        ("caption", caption.as_deref()),
        ("credit", credit.as_deref()),
    ]);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let updated = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            db::lock_row(c, "media", id)?;
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::not_found("media item"))?;
            user.require_site(Some(row.site_id))?;
            let removes_alt = matches!(&change.alt, Some(alt) if alt.as_deref().is_none_or(|a| a.trim().is_empty()));
            if removes_alt && row.kind() == MediaKind::Image {
                let uses = repo::uses_of(c, &[id])?.remove(&id).unwrap_or_default();
                if let Some(used) = uses.iter().find(|u| u.public && matches!(u.role.as_str(), "cover" | "gallery")) {
                    return Err(ApiError::invalid(
                        "alt",
                        "required",
                        format!("is needed while published content shows the image ({} {})", used.resource, used.id),
                    ));
                }
            }
            let row = repo::update(c, id, &change)?.ok_or_else(|| ApiError::not_found("media item"))?;
            view(c, BASE, &row)
        })
    })
    .await?;
    Ok(web::Json(updated))
}

/// Delete an item. Refused (409, naming the users) while anything uses it, unless `force=true`,
/// which takes it out of what used it. Its bytes are collected once no item names them.
#[utoipa::path(
    tag = "media",
    params(("id" = i64, Path, description = "The item's id"), DeleteQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such item"),
        (status = 409, description = "In use"),
    )
)]
#[delete("/media/{id}")]
pub async fn delete_media(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: ApiQuery<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let id = id.into_inner();
    let force = query.0.force.unwrap_or(false);
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            db::lock_row(c, "media", id)?;
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::not_found("media item"))?;
            user.require_site(Some(row.site_id))?;
            let uses = repo::uses_of(c, &[id])?.remove(&id).unwrap_or_default();
            if !uses.is_empty() && !force {
                let named: Vec<String> = uses.iter().map(|u| format!("{} {} ({})", u.resource, u.id, u.role)).collect();
                return Err(ApiError::Conflict(format!(
                    "The item is in use: {}. Take it out of them first, or delete with force=true.",
                    named.join(", ")
                )));
            }
            repo::delete(c, id)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

//! Media rows and their API shapes.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::media;
use crate::error::FieldError;
use crate::sites::model::SiteRef;

/// Photos and drawings, or documents to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Document,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
        }
    }
}

/// Where an upload stands: images are processed (variants, metadata stripped) after the upload
/// answers; documents are ready at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaStatus {
    Processing,
    Ready,
    /// The image could not be processed (`failure` says why); it is never served.
    Failed,
}

impl MediaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            _ => Self::Processing,
        }
    }
}

/// A stored variant, as the row keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredVariant {
    /// The last part of its URL: `w640.webp`, `full.jpg`, `file.pdf`.
    pub name: String,
    /// The object's content address.
    pub address: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub media_type: String,
    pub size: i64,
}

/// The variants a document has from its upload on: itself, as `file.<ext>`, as the row stores them.
pub fn document_variants(file_type: super::sniff::FileType, address: &str, size: i64) -> String {
    let variant = StoredVariant {
        name: format!("file.{}", file_type.extension()),
        address: address.to_owned(),
        width: None,
        height: None,
        media_type: file_type.media_type().to_owned(),
        size,
    };
    serde_json::to_string(&[variant]).unwrap_or_else(|_| "[]".into())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct MediaRow {
    pub id: i64,
    pub site_id: i64,
    pub sha256: String,
    pub kind: String,
    pub media_type: String,
    pub filename: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub status: String,
    pub failure: Option<String>,
    pub variants: String,
    pub placeholder: Option<String>,
    pub title: Option<String>,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub taken_at: Option<NaiveDateTime>,
    pub uploaded_by: Option<i64>,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl MediaRow {
    pub fn kind(&self) -> MediaKind {
        if self.kind == "image" { MediaKind::Image } else { MediaKind::Document }
    }

    pub fn status(&self) -> MediaStatus {
        MediaStatus::parse(&self.status)
    }

    pub fn variants(&self) -> Vec<StoredVariant> {
        serde_json::from_str(&self.variants).unwrap_or_default()
    }

    /// The variant served as the item itself: the document, or the image at full size in its own
    /// format (metadata stripped).
    pub fn main_variant(&self) -> Option<StoredVariant> {
        let variants = self.variants();
        let main = variants
            .iter()
            .find(|v| v.name.starts_with("full.") && !v.name.ends_with(".webp") || v.name.starts_with("file."));
        main.or_else(|| variants.iter().find(|v| v.name.starts_with("full."))).cloned()
    }

    /// The API shape; `base` starts the URLs (the public URL of the API, or empty for paths).
    pub fn view(&self, base: &str, site: SiteRef, used_by: Vec<MediaUse>) -> Media {
        let url = |v: &StoredVariant| format!("{base}/media/{}/{}", self.sha256, v.name);
        let ready = self.status() == MediaStatus::Ready;
        Media {
            id: self.id,
            site,
            kind: self.kind(),
            media_type: self.media_type.clone(),
            filename: self.filename.clone(),
            size: self.size,
            status: self.status(),
            failure: self.failure.clone(),
            width: self.width,
            height: self.height,
            url: if ready { self.main_variant().map(|v| url(&v)) } else { None },
            variants: if ready {
                self.variants()
                    .iter()
                    .map(|v| Variant {
                        name: v.name.clone(),
                        url: url(v),
                        width: v.width,
                        height: v.height,
                        media_type: v.media_type.clone(),
                        size: v.size,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            placeholder: self.placeholder.clone(),
            title: self.title.clone(),
            alt: self.alt.clone(),
            caption: self.caption.clone(),
            credit: self.credit.clone(),
            taken_at: self.taken_at.map(|t| t.and_utc()),
            used_by,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        }
    }
}

/// One size and format of an item, to put in a `srcset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Variant {
    /// `w640.webp`, `w640.jpg`, `full.jpg`, ... or `file.pdf` for a document.
    pub name: String,
    /// Immutable: cache it for ever (it changes when the bytes do).
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub media_type: String,
    /// Bytes.
    pub size: i64,
}

/// Where an item is used.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MediaUse {
    /// `article`, ...
    pub resource: String,
    pub id: i64,
    /// `cover`, `gallery`, `inline` (an article); `attachment` (an event); `form` (a procedure).
    pub role: String,
    /// Whether the public sees what uses it now (a published article, an event on the public
    /// calendar, a procedure in the list): with `missing_alt=true`, the published content whose
    /// images lack alt text.
    pub public: bool,
}

/// An item of the media library.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Media {
    pub id: i64,
    pub site: SiteRef,
    pub kind: MediaKind,
    /// Decided by the bytes, never by the name or the declared type.
    pub media_type: String,
    /// As uploaded; downloads are offered under it.
    pub filename: String,
    /// Bytes, as uploaded.
    pub size: i64,
    pub status: MediaStatus,
    pub failure: Option<String>,
    /// Of an image, upright (its orientation applied).
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// The item itself: the document, or the image at full size in its own format, metadata
    /// stripped. Null until ready.
    pub url: Option<String>,
    /// Every size and format, smallest first for images (320 to 2400 wide, never larger than the
    /// original, in WebP and the original format). Empty until ready.
    pub variants: Vec<Variant>,
    /// The image's dominant colour (`#rrggbb`), to paint while it loads.
    pub placeholder: Option<String>,
    pub title: Option<String>,
    /// Alternative text; an image needs it before published content may use it.
    pub alt: Option<String>,
    pub caption: Option<String>,
    /// Credit or byline (`Ảnh: Thu Hà`).
    pub credit: Option<String>,
    pub taken_at: Option<DateTime<Utc>>,
    /// What uses it (a delete is refused while anything does).
    pub used_by: Vec<MediaUse>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A library file as the content that uses it shows it: an event's attachment, a procedure's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub kind: MediaKind,
    /// The document, or the image at full size: a path on the API (`/media/...`).
    pub url: String,
    /// The name it downloads under.
    pub filename: String,
    pub title: Option<String>,
    pub media_type: String,
    /// Bytes.
    pub size: i64,
}

/// A multipart upload: the file and, optionally, its description.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct MediaUpload {
    /// The file (its part's `filename` is kept for downloads).
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
    /// The site, by code; the account's own (or the only one) when absent.
    pub site: Option<String>,
    pub title: Option<String>,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// A raw upload: the file's bytes as the body.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct RawUpload(Vec<u8>);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, for a raw upload (or send `Content-Disposition: attachment; filename*=UTF-8''...`).
    pub filename: Option<String>,
    /// The site, by code; the account's own (or the only one) when absent.
    pub site: Option<String>,
}

/// Changes to an item's description; what is absent stays, null clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaChange {
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub alt: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub caption: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub credit: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub taken_at: Option<Option<DateTime<Utc>>>,
}

pub const MAX_TEXT: usize = 1000;

/// The faults of descriptive fields.
pub fn check_texts(fields: &[(&str, Option<&str>)]) -> Vec<FieldError> {
    fields
        .iter()
        .filter_map(|(name, value)| {
            let value = (*value)?;
            if value.chars().count() > MAX_TEXT {
                Some(FieldError::new(*name, "too_long", format!("must be at most {MAX_TEXT} characters")))
            } else if value.chars().any(|c| c.is_control() && c != '\n') {
                Some(FieldError::new(*name, "invalid_characters", "must not contain control characters"))
            } else {
                None
            }
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaListQuery {
    /// Only this site's items, by code.
    pub site: Option<String>,
    /// Only images or only documents.
    pub kind: Option<MediaKind>,
    /// Words in the file name, title, alt text or caption.
    pub q: Option<String>,
    /// Only what this account uploaded (a user id).
    pub uploaded_by: Option<i64>,
    /// Only items nothing uses (`true`), or only used ones (`false`).
    pub unused: Option<bool>,
    /// Only images without alt text.
    pub missing_alt: Option<bool>,
    /// Uploaded at or after (RFC 3339 or a date).
    pub from: Option<String>,
    /// Uploaded before (RFC 3339 or a date).
    pub to: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Delete even while used (what used it loses it).
    pub force: Option<bool>,
}

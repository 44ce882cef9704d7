//! Site rows, their API shapes and validation.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::sites;
use crate::error::FieldError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sites)]
pub struct SiteRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub time_zone: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub public_url: Option<String>,
    /// JSON of [`PageUrlsPatch`]: the templates set; the rest are the defaults.
    pub page_urls: Option<String>,
}

impl SiteRow {
    /// The page templates in force: those set, and the defaults for the rest.
    pub fn page_urls(&self) -> PageUrls {
        let set: PageUrlsPatch =
            self.page_urls.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
        PageUrls::default().with(set)
    }

    /// The public address of one of the site's pages, from its template: `None` when the template
    /// is a path and the site has no public address yet.
    pub fn page_url(&self, kind: PageKind, slug: &str, id: i64, code: &str) -> Option<String> {
        let urls = self.page_urls();
        let template = match kind {
            PageKind::Article => &urls.article,
            PageKind::Category => &urls.category,
            PageKind::Procedure => &urls.procedure,
            PageKind::Question => &urls.question,
            PageKind::Event => &urls.event,
        };
        let filled = template
            .replace("{slug}", &encode_segment(slug))
            .replace("{id}", &id.to_string())
            .replace("{code}", &encode_segment(code));
        if filled.starts_with("http://") || filled.starts_with("https://") {
            Some(filled)
        } else {
            self.public_url.as_ref().map(|base| format!("{base}{filled}"))
        }
    }
}

/// Percent-encodes what a path segment may not hold as it is.
fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A page of the portal, for a sitemap: what names it (slug or code) and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageEntry {
    pub id: i64,
    pub key: String,
    pub lastmod: NaiveDateTime,
}

/// The kinds of page a portal shows, each with a URL template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Article,
    Category,
    Procedure,
    Question,
    Event,
}

/// Where each kind of page lives on the portal: a path under `public_url` (`/tin-tuc/{slug}`) or a
/// full URL, with `{slug}`, `{id}` or `{code}` (a procedure's) filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PageUrls {
    #[schema(example = "/tin-tuc/{slug}")]
    pub article: String,
    #[schema(example = "/chuyen-muc/{slug}")]
    pub category: String,
    #[schema(example = "/thu-tuc-hanh-chinh/{code}")]
    pub procedure: String,
    #[schema(example = "/hoi-dap/{slug}")]
    pub question: String,
    #[schema(example = "/lich-cong-tac/{id}")]
    pub event: String,
}

impl Default for PageUrls {
    fn default() -> Self {
        Self {
            article: "/tin-tuc/{slug}".into(),
            category: "/chuyen-muc/{slug}".into(),
            procedure: "/thu-tuc-hanh-chinh/{code}".into(),
            question: "/hoi-dap/{slug}".into(),
            event: "/lich-cong-tac/{id}".into(),
        }
    }
}

impl PageUrls {
    fn with(mut self, set: PageUrlsPatch) -> Self {
        let pairs = [
            (&mut self.article, set.article),
            (&mut self.category, set.category),
            (&mut self.procedure, set.procedure),
            (&mut self.question, set.question),
            (&mut self.event, set.event),
        ];
        for (slot, value) in pairs {
            if let Some(value) = value {
                *slot = value;
            }
        }
        self
    }
}

/// The page templates a site has set (stored as JSON); the others are the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageUrlsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

impl PageUrlsPatch {
    /// The templates set after `change`: a template given replaces, null removes (the default
    /// again), absent keeps.
    pub fn merged(mut self, change: PageUrlsChange) -> Self {
        let pairs = [
            (&mut self.article, change.article),
            (&mut self.category, change.category),
            (&mut self.procedure, change.procedure),
            (&mut self.question, change.question),
            (&mut self.event, change.event),
        ];
        for (slot, value) in pairs {
            if let Some(value) = value {
                *slot = value;
            }
        }
        self
    }
}

/// A template to check: its kind, the change, and the placeholders it may hold to name its page.
type TemplateCheck<'a> = (&'a str, &'a Option<Option<String>>, &'a [&'a str]);

/// Page templates to change: a template sets it, null puts the default back, absent keeps it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageUrlsChange {
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>, example = "/tin-tuc/{slug}")]
    pub article: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub procedure: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub question: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub event: Option<Option<String>>,
}

impl PageUrlsChange {
    /// Checks each template given: a path or an http(s) URL, with the placeholder its page needs.
    pub fn validate(&self, errors: &mut Vec<FieldError>) {
        let checks: [TemplateCheck<'_>; 5] = [
            ("article", &self.article, &["{slug}", "{id}"]),
            ("category", &self.category, &["{slug}", "{id}"]),
            ("procedure", &self.procedure, &["{code}", "{id}"]),
            ("question", &self.question, &["{slug}", "{id}"]),
            ("event", &self.event, &["{id}"]),
        ];
        for (kind, template, needs) in checks {
            let Some(Some(template)) = template else { continue };
            let field = format!("page_urls.{kind}");
            let without = ["{slug}", "{id}", "{code}"].iter().fold(template.clone(), |t, p| t.replace(p, ""));
            let shape_ok = if template.starts_with("http://") || template.starts_with("https://") {
                valid_public_url(&without).is_some()
            } else {
                let clean = |c: char| c.is_ascii_alphanumeric() || "-._~/:%".contains(c);
                template.starts_with('/') && !template.starts_with("//") && without.chars().all(clean)
            };
            if template.chars().count() > 300 {
                errors.push(FieldError::new(field, "too_long", "must be at most 300 characters"));
            } else if !shape_ok {
                errors.push(FieldError::new(
                    field,
                    "invalid_format",
                    "must be a path (/tin-tuc/{slug}) or an http(s) URL, with only {slug}, {id} or {code} as placeholders",
                ));
            } else if !needs.iter().any(|p| template.contains(p)) {
                errors.push(FieldError::new(field, "invalid_format", format!("must hold {}", needs.join(" or "))));
            }
        }
    }
}

/// A site's public address: as [`crate::text::public_base_url`], at most 500 characters.
pub fn valid_public_url(url: &str) -> Option<String> {
    crate::text::public_base_url(url).filter(|_| url.len() <= 500)
}

/// A ward, commune or other unit whose content this deployment serves.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "code": "phuong-ben-thanh", "name": "Phường Bến Thành", "time_zone": "Asia/Ho_Chi_Minh",
    "public_url": "https://phuongbenthanh.example.vn",
    "page_urls": {"article": "/tin-tuc/{slug}", "category": "/chuyen-muc/{slug}",
                  "procedure": "/thu-tuc-hanh-chinh/{code}", "question": "/hoi-dap/{slug}", "event": "/lich-cong-tac/{id}"},
    "created_at": "2026-01-05T02:00:00Z", "updated_at": "2026-11-02T04:00:00Z"
}))]
pub struct Site {
    pub id: i64,
    /// Stable code used in URLs and filters (`site=phuong-ben-thanh`).
    #[schema(example = "phuong-ben-thanh")]
    pub code: String,
    #[schema(example = "Phường Bến Thành")]
    pub name: String,
    /// IANA time zone of the site's calendar.
    #[schema(example = "Asia/Ho_Chi_Minh")]
    pub time_zone: String,
    /// The site's portal (the frontend), that feeds, sitemaps and webhooks link to; null until set.
    #[schema(example = "https://phuong-ben-thanh.example.vn")]
    pub public_url: Option<String>,
    /// Where each kind of page lives on the portal (the defaults until set).
    pub page_urls: PageUrls,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A short reference to a site, embedded in the resources that belong to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SiteRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

impl From<SiteRow> for Site {
    fn from(row: SiteRow) -> Self {
        Site {
            page_urls: row.page_urls(),
            id: row.id,
            code: row.code,
            name: row.name,
            time_zone: row.time_zone,
            public_url: row.public_url,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

impl From<SiteRow> for SiteRef {
    fn from(row: SiteRow) -> Self {
        SiteRef { id: row.id, code: row.code, name: row.name }
    }
}

/// A new site.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSite {
    /// Lowercase letters, digits and hyphens, 1 to 64 characters; unique.
    pub code: String,
    /// 1 to 200 characters.
    pub name: String,
    /// IANA time zone; `Asia/Ho_Chi_Minh` when absent.
    pub time_zone: Option<String>,
}

/// Changes to a site; absent fields stay as they are. The code cannot change: it is an identifier.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    /// The portal's address (http or https, no query); null removes it.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub public_url: Option<Option<String>>,
    /// Page templates to change; the others stay.
    pub page_urls: Option<PageUrlsChange>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SiteListQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

pub fn validate_code(code: &str, errors: &mut Vec<FieldError>) {
    let valid_chars = code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if code.is_empty() {
        errors.push(FieldError::new("code", "required", "is required"));
    } else if code.len() > 64 {
        errors.push(FieldError::new("code", "too_long", "must be at most 64 characters"));
    } else if !valid_chars || code.starts_with('-') || code.ends_with('-') {
        errors.push(FieldError::new("code", "invalid_format", "must be lowercase letters, digits and inner hyphens"));
    }
}

pub fn validate_name(name: &str, errors: &mut Vec<FieldError>) {
    let len = name.trim().chars().count();
    if len == 0 {
        errors.push(FieldError::new("name", "required", "must not be empty"));
    } else if len > 200 {
        errors.push(FieldError::new("name", "too_long", "must be at most 200 characters"));
    }
}

pub fn validate_time_zone(tz: &str, errors: &mut Vec<FieldError>) {
    if tz.parse::<chrono_tz::Tz>().is_err() {
        errors.push(FieldError::new(
            "time_zone",
            "invalid_value",
            "must be an IANA time zone such as Asia/Ho_Chi_Minh",
        ));
    }
}

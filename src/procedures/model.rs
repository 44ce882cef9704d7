//! The record of an administrative procedure, as the national database describes it, and its
//! validation.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::procedures;
use crate::error::FieldError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = procedures)]
pub struct ProcedureRow {
    pub id: i64,
    pub site_id: i64,
    pub code: String,
    pub name: String,
    pub field_id: Option<i64>,
    pub agency: String,
    pub level: String,
    pub validity: String,
    pub replaced_by: Option<String>,
    pub processing_days: Option<i32>,
    pub record: String,
    pub record_hash: String,
    pub search_text: String,
    pub source: Option<String>,
    pub imported_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The online service level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Toàn trình: fully online.
    Full,
    /// Một phần: partly online.
    Partial,
    /// Not online.
    #[default]
    None,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Partial => "partial",
            Self::None => "none",
        }
    }
}

/// Whether the procedure is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    #[default]
    InForce,
    Expired,
    /// Replaced by the procedure `replaced_by`.
    Replaced,
}

impl Validity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InForce => "in_force",
            Self::Expired => "expired",
            Self::Replaced => "replaced",
        }
    }
}

/// A way to submit (cách thức thực hiện), with its own time and fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Method {
    /// `in_person` (trực tiếp), `online` (trực tuyến) or `post` (dịch vụ bưu chính).
    pub method: String,
    #[serde(default)]
    pub processing_time: Option<String>,
    #[serde(default)]
    pub fee: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A document of the dossier (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub name: String,
    /// Originals (bản chính).
    #[serde(default)]
    pub originals: u32,
    /// Copies (bản sao).
    #[serde(default)]
    pub copies: u32,
    /// A form to download (biểu mẫu), elsewhere.
    #[serde(default)]
    pub form_url: Option<String>,
    /// A document of the site's media library as the form to download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_media_id: Option<i64>,
    /// The library form, as reads give it (its URL, name, type and size); ignored on write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<crate::media::model::Attachment>,
}

/// A legal basis (căn cứ pháp lý).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    /// The document's number (`123/2015/NĐ-CP`).
    #[serde(default)]
    pub number: Option<String>,
    pub title: String,
    #[serde(default)]
    pub issued_on: Option<NaiveDate>,
}

/// A case (trường hợp) with its own dossier, time and fee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    #[serde(default)]
    pub dossier: Vec<Document>,
    #[serde(default)]
    pub processing_time: Option<String>,
    #[serde(default)]
    pub fee: Option<String>,
}

/// A procedure's record, as imported or written. Only `code` and `name` are required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcedureRecord {
    /// The national code: `1.001108`, or with a provincial suffix `1.012753.H19`.
    #[schema(example = "1.001193")]
    pub code: String,
    #[schema(example = "Thủ tục đăng ký khai sinh")]
    pub name: String,
    /// The field (lĩnh vực) by name or code (`Hộ tịch` or `ho-tich`); an unknown one is added.
    #[serde(default)]
    pub field: Option<String>,
    /// The field's code in the national database, if known.
    #[serde(default)]
    pub field_code: Option<String>,
    /// Implementing agency (cơ quan thực hiện).
    #[serde(default)]
    pub agency: Option<String>,
    /// Who may apply (đối tượng thực hiện).
    #[serde(default)]
    pub applicants: Option<String>,
    /// The steps, in order (trình tự thực hiện).
    #[serde(default)]
    pub steps: Vec<String>,
    #[serde(default)]
    pub methods: Vec<Method>,
    #[serde(default)]
    pub dossier: Vec<Document>,
    /// Processing time as written (thời hạn giải quyết).
    #[serde(default)]
    pub processing_time: Option<String>,
    /// Fees and charges (phí, lệ phí), as written.
    #[serde(default)]
    pub fees: Option<String>,
    /// Requirements and conditions (yêu cầu, điều kiện).
    #[serde(default)]
    pub requirements: Option<String>,
    #[serde(default)]
    pub legal_basis: Vec<LegalBasis>,
    /// The result (kết quả thực hiện).
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub level: Level,
    #[serde(default)]
    pub validity: Validity,
    /// For a replaced procedure: the code that replaces it.
    #[serde(default)]
    pub replaced_by: Option<String>,
    #[serde(default)]
    pub cases: Vec<Case>,
}

/// A procedure as the API answers it: the record, and where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Procedure {
    pub id: i64,
    pub site: crate::sites::model::SiteRef,
    /// The field, as a reference.
    pub field_ref: Option<crate::fields::model::Field>,
    #[serde(flatten)]
    pub record: ProcedureRecord,
    /// The processing time in days, when the text gives one (for filtering).
    pub processing_days: Option<i32>,
    /// Where it was imported from (a file name or `api`).
    pub source: Option<String>,
    pub imported_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProcedureListQuery {
    /// Only these sites, by code (repeatable: `site=a&site=b`).
    #[serde(default)]
    pub site: Vec<String>,
    /// A field's code.
    pub field: Option<String>,
    /// Words in the implementing agency.
    pub agency: Option<String>,
    /// `full`, `partial` or `none`.
    pub level: Option<Level>,
    /// `in_force` (default), `expired`, `replaced`, or `all`.
    pub validity: Option<String>,
    /// At most this many days to process.
    pub max_days: Option<i32>,
    /// Words in the name, code, agency, field or dossier, through the search engine (case and
    /// diacritics ignored, the last word as a prefix, a typo forgiven): the best matches first.
    pub q: Option<String>,
    /// Page number, from 1 (offset paging).
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

/// The filters of the facet counts: the list's, without paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProcedureFacetsQuery {
    /// Only these sites, by code (repeatable: `site=a&site=b`).
    #[serde(default)]
    pub site: Vec<String>,
    /// A field's code.
    pub field: Option<String>,
    /// Words in the implementing agency.
    pub agency: Option<String>,
    /// `full`, `partial` or `none`.
    pub level: Option<Level>,
    /// `in_force` (default), `expired`, `replaced`, or `all`.
    pub validity: Option<String>,
    /// At most this many days to process.
    pub max_days: Option<i32>,
    /// Words in the name, field or dossier (case and diacritics ignored).
    pub q: Option<String>,
}

impl From<ProcedureFacetsQuery> for ProcedureListQuery {
    fn from(q: ProcedureFacetsQuery) -> Self {
        Self {
            site: q.site,
            field: q.field,
            agency: q.agency,
            level: q.level,
            validity: q.validity,
            max_days: q.max_days,
            q: q.q,
            page: None,
            per_page: None,
            fields: None,
        }
    }
}

/// A count of procedures for one value of a facet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    /// The field's name, for the field facet.
    pub name: Option<String>,
    pub count: i64,
}

/// Counts per field and per level, under the same filters as the list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    pub total: i64,
    pub fields: Vec<FacetCount>,
    pub levels: Vec<FacetCount>,
}

/// What an import did.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: Vec<RejectedRow>,
}

/// A row that was not imported, and why.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RejectedRow {
    /// The row's number in the input, from 1 (after a header row, if any).
    pub row: usize,
    pub code: Option<String>,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The site to import into, by code; the user's or the only site when absent.
    pub site: Option<String>,
    /// Refuse the whole import if any row is malformed.
    #[serde(default)]
    pub strict: bool,
}

pub fn validate(record: &ProcedureRecord) -> Vec<FieldError> {
    let mut errors = vec![];
    let code = record.code.trim();
    let code_ok = !code.is_empty()
        && code.len() <= 40
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && code.chars().next().is_some_and(|c| c.is_ascii_digit());
    if !code_ok {
        errors.push(FieldError::new(
            "code",
            "invalid_format",
            "must be a national procedure code such as 1.001108 or 1.012753.H19",
        ));
    }
    let name_len = record.name.trim().chars().count();
    if name_len == 0 {
        errors.push(FieldError::new("name", "required", "must not be empty"));
    } else if name_len > 1000 {
        errors.push(FieldError::new("name", "too_long", "must be at most 1000 characters"));
    }
    if record.validity == Validity::Replaced && record.replaced_by.as_deref().is_none_or(|r| r.trim().is_empty()) {
        errors.push(FieldError::new("replaced_by", "required", "is required for a replaced procedure"));
    }
    for (i, method) in record.methods.iter().enumerate() {
        if !["in_person", "online", "post"].contains(&method.method.as_str()) {
            errors.push(FieldError::new(
                format!("methods[{i}].method"),
                "invalid_value",
                "must be in_person, online or post",
            ));
        }
    }
    errors
}

/// The number of days in a processing time as written: `05 ngày làm việc` -> 5. The smallest when
/// several are given; `Trong ngày` -> 0.
pub fn processing_days(text: &str) -> Option<i32> {
    let folded = crate::text::fold(text);
    if folded.contains("trong ngay") || folded.contains("ngay khi") {
        return Some(0);
    }
    let words: Vec<&str> = crate::text::words(&folded).collect();
    words.windows(2).filter(|w| w[1] == "ngay").filter_map(|w| w[0].parse::<i32>().ok()).min()
}

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
}

/// A ward, commune or other unit whose content this deployment serves.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
            id: row.id,
            code: row.code,
            name: row.name,
            time_zone: row.time_zone,
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
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SiteListQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
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

//! User rows, their API shapes and validation.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::users;
use crate::error::FieldError;
use crate::sites::model::SiteRef;

pub const MAX_PASSWORD_LEN: usize = 256;
/// The longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub site_id: Option<i64>,
    pub active: bool,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A staff account. The password hash never leaves the server.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    #[schema(example = "bientap@phuong.example.vn")]
    pub email: String,
    #[schema(example = "Nguyễn Thị Lan")]
    pub display_name: String,
    pub role: Role,
    /// The site the account is bound to; null for every site.
    pub site: Option<SiteRef>,
    /// A disabled account cannot sign in, and its tokens stop working.
    pub active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    pub fn from_row(row: UserRow, site: Option<SiteRef>) -> Self {
        User {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role: Role::parse(&row.role).unwrap_or(Role::Editor),
            site,
            active: row.active,
            last_login_at: row.last_login_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// A new staff account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique, case-insensitive.
    pub email: String,
    /// 1 to 100 characters.
    pub display_name: String,
    pub role: Role,
    /// Bind the account to one site; absent or null for every site.
    pub site_id: Option<i64>,
    /// 8 to 256 characters.
    pub password: String,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// A site id to bind the account to, or null for every site.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<i64>)]
    pub site_id: Option<Option<i64>>,
    /// false disables the account and ends its sessions.
    pub active: Option<bool>,
}

/// A new password set by an admin. Every session of the user ends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// 8 to 256 characters.
    pub password: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only accounts with this role.
    pub role: Option<Role>,
    /// Only accounts bound to this site (by code).
    pub site: Option<String>,
    /// Only active (true) or disabled (false) accounts.
    pub active: Option<bool>,
    /// Accounts whose email or name contains this text.
    pub q: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn validate_email(email: &str, errors: &mut Vec<FieldError>) {
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if email.is_empty() {
        errors.push(FieldError::new("email", "required", "is required"));
    } else if !valid {
        errors.push(FieldError::new("email", "invalid_format", "must be an email address"));
    }
}

pub fn validate_display_name(name: &str, errors: &mut Vec<FieldError>) {
    let len = name.trim().chars().count();
    if len == 0 {
        errors.push(FieldError::new("display_name", "required", "must not be empty"));
    } else if len > 100 {
        errors.push(FieldError::new("display_name", "too_long", "must be at most 100 characters"));
    }
}

pub fn validate_password(field: &str, password: &str) -> Result<(), FieldError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(FieldError::new(field, "too_short", format!("must be at least {MIN_PASSWORD_CHARS} characters")))
    } else if password.len() > MAX_PASSWORD_LEN {
        Err(FieldError::new(field, "too_long", format!("must be at most {MAX_PASSWORD_LEN} bytes")))
    } else {
        Ok(())
    }
}

/// A staff member, as referenced by content they wrote or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserRef {
    pub id: i64,
    pub display_name: String,
}

/// What a staff account may do. Admins may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, users and sites included.
    Admin,
    /// Articles, categories, procedures, events and media.
    Editor,
    /// Feedback and questions.
    Moderator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Moderator => "moderator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "moderator" => Some(Role::Moderator),
            _ => None,
        }
    }
}

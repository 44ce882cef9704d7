//! Request and response bodies of the auth endpoints, and the rows behind sessions.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{login_throttles, refresh_tokens, sessions};
use crate::users::model::User;

/// Credentials for `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "bien-tap@phuong.example.vn", "password": "mat-khau-du-dai-2026"}))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email address (case does not matter).
    #[schema(example = "admin@phuong.example.vn")]
    pub email: String,
    pub password: String,
}

/// A refresh token to exchange for a new pair.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh. It works once.
    pub refresh_token: String,
}

/// A new access token and refresh token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// An opaque token for `POST /auth/refresh`; it works once, and reusing it ends the session.
    pub refresh_token: String,
    /// Seconds until the refresh token expires unless used.
    pub refresh_expires_in: i64,
    /// The signed-in user.
    pub user: User,
}

/// Options of `POST /auth/logout`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogoutQuery {
    /// End every session of the user, not only the current one.
    #[serde(default)]
    pub all: bool,
}

/// A password change by the user themself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// 8 to 256 characters.
    pub new_password: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: i64,
    pub session_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = login_throttles, treat_none_as_null = true)]
pub struct LoginThrottleRow {
    /// `pair:`, `account:` or `known:` and a SHA-256 (see `auth::repo`): fixed size whatever the input.
    pub key: String,
    pub failures: i32,
    pub last_failure_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
}

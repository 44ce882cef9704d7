//! The submitter's personal data: exported and erased on request, every access logged.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, web};

use super::model::*;
use super::repo;
use super::views::{detail, managed};
use crate::auth::{AuthUser, Role};
use crate::db::{self, write_transaction};
use crate::error::ApiError;
use crate::state::AppState;

/// Export the submitter's personal data with the submission, for a request by that person
/// (moderators, admins). Logged.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The submission's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission with its personal data", body = FeedbackDetail),
        (status = 404, description = "No such submission"),
    )
)]
#[get("/feedback/{id}/personal-data")]
pub async fn export_personal_data(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Moderator])?;
    let id = id.into_inner();
    let state2 = state.clone();
    let view = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            repo::log_access(c, id, user.id, "export")?;
            detail(c, &state2.vault, row)
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.json\"", view.summary.tracking_code),
        ))
        .json(view))
}

/// Erase the submitter's personal data (name, phone, email, address), keeping the feedback text
/// and the trail (moderators, admins). Logged.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The submission's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Erased"),
        (status = 404, description = "No such submission"),
    )
)]
#[delete("/feedback/{id}/personal-data")]
pub async fn erase_personal_data(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Moderator])?;
    let id = id.into_inner();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            managed(c, &user, id)?;
            if repo::erase_personal_data(c, id)? > 0 {
                repo::add_trail(c, id, Some(user.id), "personal_data_erased", None, None, Some("on request"))?;
            }
            repo::log_access(c, id, user.id, "erase")?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who read, exported or erased a submission's personal data, and when (admins).
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The submission's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The access log, oldest first", body = Vec<AccessLogEntry>),
        (status = 404, description = "No such submission"),
    )
)]
#[get("/feedback/{id}/access-log")]
pub async fn personal_data_access_log(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<AccessLogEntry>>, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let entries = db::run(&state.db, move |conn| {
        managed(conn, &user, id)?;
        Ok(repo::access_log(conn, id)?
            .into_iter()
            .map(|(user_id, action, at)| AccessLogEntry { user_id, action, at: at.and_utc() })
            .collect())
    })
    .await?;
    Ok(web::Json(entries))
}

/// One access to personal data.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AccessLogEntry {
    pub user_id: Option<i64>,
    /// `read`, `export` or `erase`.
    pub action: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

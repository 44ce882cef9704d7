//! The list of fields.

use actix_web::{get, web};

use super::model::Field;
use super::repo;
use crate::db;
use crate::error::ApiError;
use crate::state::AppState;

/// The fields of administration (lĩnh vực).
#[utoipa::path(tag = "questions", responses((status = 200, description = "Every field", body = Vec<Field>)))]
#[get("/fields")]
pub async fn list_fields(state: web::Data<AppState>) -> Result<web::Json<Vec<Field>>, ApiError> {
    Ok(web::Json(db::run(&state.db, |conn| Ok(repo::list(conn)?)).await?))
}

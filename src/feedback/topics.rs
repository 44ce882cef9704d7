//! Feedback topics: the public list, and their management by moderators.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};

use super::model::*;
use super::repo;
use crate::auth::{AuthUser, Role};
use crate::citizen::check_text;
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, unique_as};
use crate::http::{ApiJson, ApiQuery};
use crate::sites;
use crate::sites::model::SiteRef;
use crate::state::AppState;

/// The topics feedback can be about.
#[utoipa::path(
    tag = "feedback",
    params(TopicListQuery),
    responses((status = 200, description = "The open topics", body = Vec<Topic>))
)]
#[get("/feedback/topics")]
pub async fn list_topics(
    state: web::Data<AppState>,
    query: ApiQuery<TopicListQuery>,
) -> Result<web::Json<Vec<Topic>>, ApiError> {
    let query = query.0;
    let topics = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let rows = repo::topics(conn, site_ids.as_deref(), true)?;
        to_topics(conn, rows)
    })
    .await?;
    Ok(web::Json(topics))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TopicListQuery {
    /// Only these sites, by code (repeatable).
    #[serde(default)]
    pub site: Vec<String>,
}

fn to_topics(conn: &mut DbConn, rows: Vec<TopicRow>) -> Result<Vec<Topic>, ApiError> {
    let sites = sites::refs_by_id(conn, rows.iter().map(|r| r.site_id).collect())?;
    Ok(rows
        .into_iter()
        .map(|r| Topic {
            id: r.id,
            code: r.code,
            name: r.name,
            description: r.description,
            active: r.active,
            position: r.position,
            site: sites.get(&r.site_id).cloned().unwrap_or(SiteRef {
                id: r.site_id,
                code: String::new(),
                name: String::new(),
            }),
        })
        .collect())
}

/// A topic's description is served publicly (also in Open311's `services.json`): kept short.
fn check_topic_description(description: Option<&str>, errors: &mut Vec<crate::error::FieldError>) {
    if description.is_some_and(|d| d.trim().chars().count() > MAX_TOPIC_DESCRIPTION_CHARS) {
        errors.push(crate::error::FieldError::new(
            "description",
            "too_long",
            format!("must be at most {MAX_TOPIC_DESCRIPTION_CHARS} characters"),
        ));
    }
}

const MAX_TOPIC_DESCRIPTION_CHARS: usize = 2000;

/// Add a topic (moderators, admins).
#[utoipa::path(
    tag = "feedback",
    request_body = CreateTopic,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Topic, headers(("Location" = String, description = "The topics list"))),
        (status = 409, description = "The code is taken in this site"),
    )
)]
#[post("/feedback/topics")]
pub async fn create_topic(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateTopic>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Moderator])?;
    let input = body.0;
    let mut errors = vec![];
    crate::sites::model::validate_code(&input.code, &mut errors);
    check_text("name", &input.name, 200, &mut errors);
    check_topic_description(input.description.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let topic = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let site_id = sites::site_for_write(c, &user, input.site_id)?;
            let new = repo::NewTopic {
                site_id,
                code: &input.code,
                name: input.name.trim(),
                description: input.description.as_deref().unwrap_or("").trim(),
                position: input.position.unwrap_or(0),
            };
            let id = repo::insert_topic(c, &new).map_err(unique_as("code"))?;
            let row = repo::find_topic(c, id)?.ok_or_else(|| ApiError::internal("topic vanished"))?;
            to_topics(c, vec![row])?.pop().ok_or_else(|| ApiError::internal("topic vanished"))
        })
    })
    .await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, "/api/v1/feedback/topics")).json(topic))
}

/// Rename, describe, close or reorder a topic (moderators, admins).
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The topic's id")),
    request_body = UpdateTopic,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated topic", body = Topic),
        (status = 404, description = "No such topic"),
    )
)]
#[patch("/feedback/topics/{id}")]
pub async fn update_topic(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateTopic>,
) -> Result<web::Json<Topic>, ApiError> {
    user.require(&[Role::Moderator])?;
    let (input, id) = (body.0, id.into_inner());
    let topic = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            change_topic(c, &user, id, &input)?;
            let row = repo::find_topic(c, id)?.ok_or_else(|| ApiError::internal("topic vanished"))?;
            to_topics(c, vec![row])?.pop().ok_or_else(|| ApiError::internal("topic vanished"))
        })
    })
    .await?;
    Ok(web::Json(topic))
}

/// Checks and applies a change to a topic, in the caller's transaction.
fn change_topic(c: &mut crate::db::DbConn, user: &AuthUser, id: i64, input: &UpdateTopic) -> Result<(), ApiError> {
    let mut errors = vec![];
    if let Some(name) = &input.name {
        check_text("name", name, 200, &mut errors);
    }
    check_topic_description(input.description.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let row = repo::find_topic(c, id)?.ok_or_else(|| ApiError::not_found("topic"))?;
    user.require_site(Some(row.site_id))?;
    let change = repo::TopicChange {
        name: input.name.as_deref().map(str::trim),
        description: input.description.as_deref().map(str::trim),
        active: input.active,
        position: input.position,
    };
    repo::update_topic(c, id, &change)?;
    Ok(())
}

/// Puts back a revision's content of a topic (see `crate::revisions`).
pub fn restore_topic_revision(
    c: &mut crate::db::DbConn,
    user: &AuthUser,
    id: i64,
    content: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    change_topic(c, user, id, &crate::http::from_revision(content)?)
}

/// Of these topics, the active ones as the public sees them (the change feed's payloads).
pub fn topics_by_ids(
    conn: &mut crate::db::DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, serde_json::Value>, ApiError> {
    let rows = repo::active_topics(conn, ids)?;
    to_topics(conn, rows)?
        .into_iter()
        .map(|t| Ok((t.id, serde_json::to_value(&t).map_err(ApiError::internal)?)))
        .collect()
}

//! The staff side of feedback: the queue, one submission, the workflow steps, assignment.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use diesel::OptionalExtension;

use super::model::*;
use super::repo;
use super::views::{detail, managed, summaries};
use crate::auth::{AuthUser, Role};
use crate::db::{self, write_transaction};
use crate::error::{ApiError, FieldError};
use crate::http::{ApiJson, ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::sites;
use crate::state::AppState;

/// The feedback queue (moderators, admins): filter by status, kind, topic, date, assignee, `q`.
/// No personal data in the list.
#[utoipa::path(
    tag = "feedback",
    params(StaffListQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of submissions, newest first", body = ListResponse<FeedbackSummary>,
        headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                ("X-Total-Count" = i64, description = "Submissions matching, over all pages"))))
)]
#[get("/feedback")]
pub async fn list_feedback(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    query: ApiQuery<StaffListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Moderator])?;
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<FeedbackSummary>(query.fields.as_deref())?;
    let zone = state.config.time_zone();
    let from = query.from.as_deref().map(|v| crate::http::parse_instant("from", v, zone, false)).transpose()?;
    let to = query.to.as_deref().map(|v| crate::http::parse_instant("to", v, zone, true)).transpose()?;
    let assignee = match query.assignee.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(id) => Some(Some(id.parse::<i64>().map_err(|_| ApiError::BadRequestFields {
            detail: "`assignee` must be a user id or `none`.".into(),
            errors: vec![FieldError::new("assignee", "invalid_value", "must be a user id or none")],
        })?)),
    };
    let words = crate::text::search_words(query.q.as_deref());
    let (items, total) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let filter = repo::StaffFilter {
            own_site: user.site_id,
            site_ids,
            status: query.status,
            kind: query.kind,
            topic: query.topic.clone(),
            from,
            to,
            assignee,
            words,
        };
        let (rows, total) = repo::staff_list(conn, &filter, paging.offset(), paging.limit())?;
        Ok((summaries(conn, rows)?, total))
    })
    .await?;
    Ok(list_response(&req, fields.apply(items), total, paging))
}

/// One submission with its submitter's personal data and trail (moderators, admins). Every read
/// of the personal data is logged: who, which submission, when.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The submission's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission", body = FeedbackDetail),
        (status = 404, description = "No such submission"),
    )
)]
#[get("/feedback/{id}")]
pub async fn get_feedback(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<FeedbackDetail>, ApiError> {
    user.require(&[Role::Moderator])?;
    let id = id.into_inner();
    let state2 = state.clone();
    let view = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            repo::log_access(c, id, user.id, "read")?;
            detail(c, &state2.vault, row)
        })
    })
    .await?;
    Ok(web::Json(view))
}

/// Applies a workflow step: checks it against the submission's status (see
/// [`FeedbackStatus::apply`]) and the fields it needs, then writes the change and its trail entry.
async fn step(
    state: web::Data<AppState>,
    user: AuthUser,
    id: i64,
    step: Step,
    request: StepRequest,
) -> Result<FeedbackDetail, ApiError> {
    user.require(&[Role::Moderator])?;
    let state2 = state.clone();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            let from = row.status();
            let note = request.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let now = db::now();
            let to = from.apply(step).map_err(|allowed| {
                let allowed: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                ApiError::Conflict(format!(
                    "A submission that is {} cannot be {}ed; allowed from: {}.",
                    from.as_str(),
                    step.as_str(),
                    allowed.join(", ")
                ))
            })?;
            match step {
                Step::Answer | Step::Reject => {
                    let reply = request.reply.as_deref().map(str::trim).filter(|r| !r.is_empty());
                    let Some(reply) = reply else {
                        return Err(ApiError::invalid(
                            "reply",
                            "required",
                            "the public reply (or the reason of a rejection) is required",
                        ));
                    };
                    if reply.chars().count() > 20_000 {
                        return Err(ApiError::invalid("reply", "too_long", "must be at most 20000 characters"));
                    }
                    repo::set_reply(c, id, reply, now)?;
                }
                Step::Forward => {
                    let to_body = request.forwarded_to.as_deref().map(str::trim).filter(|r| !r.is_empty());
                    let Some(to_body) = to_body else {
                        return Err(ApiError::invalid("forwarded_to", "required", "name the body it is forwarded to"));
                    };
                    repo::set_forwarded_to(c, id, to_body)?;
                }
                Step::Publish => {
                    if row.published_at.is_some() {
                        return Err(ApiError::Conflict("The submission is already published.".into()));
                    }
                    repo::set_published_at(c, id, Some(now))?;
                }
                Step::Unpublish => {
                    if row.published_at.is_none() {
                        return Err(ApiError::Conflict("The submission is not published.".into()));
                    }
                    repo::set_published_at(c, id, None)?;
                }
                Step::Note => {
                    if note.is_none() {
                        return Err(ApiError::invalid("note", "required", "must not be empty"));
                    }
                }
                Step::Start => {}
            }
            if let Some(to) = to {
                repo::set_status(c, id, to, now)?;
            }
            repo::touch(c, id, now)?;
            repo::add_trail(c, id, Some(user.id), step.as_str(), Some(from.as_str()), to.map(|t| t.as_str()), note)?;
            repo::log_access(c, id, user.id, "read")?;
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::not_found("feedback"))?;
            detail(c, &state2.vault, row)
        })
    })
    .await
}

macro_rules! step_endpoint {
    ($name:ident, $path:literal, $step:expr, $doc:literal, $from:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            tag = "feedback",
            params(("id" = i64, Path, description = "The submission's id")),
            request_body(content = Option<StepRequest>, description = "Optional note; `reply` or `forwarded_to` where the step needs it"),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "The submission after the step", body = FeedbackDetail),
                (status = 404, description = "No such submission"),
                (status = 409, description = $from),
            )
        )]
        #[post($path)]
        pub async fn $name(
            state: web::Data<AppState>,
            user: AuthUser,
            id: web::Path<i64>,
            req: HttpRequest,
            body: web::Bytes,
        ) -> Result<web::Json<FeedbackDetail>, ApiError> {
            let request: StepRequest = crate::http::optional_json(&req, &body)?;
            step(state, user, id.into_inner(), $step, request).await.map(web::Json)
        }
    };
}

step_endpoint!(
    start_feedback,
    "/feedback/{id}/start",
    Step::Start,
    "Start handling a received submission (-> `in_progress`).",
    "Not received"
);
step_endpoint!(
    answer_feedback,
    "/feedback/{id}/answer",
    Step::Answer,
    "Answer a submission with a public `reply` (-> `answered`).",
    "Already closed"
);
step_endpoint!(
    reject_feedback,
    "/feedback/{id}/reject",
    Step::Reject,
    "Reject a submission, with the public reason in `reply` (-> `rejected`).",
    "Already closed"
);
step_endpoint!(
    forward_feedback,
    "/feedback/{id}/forward",
    Step::Forward,
    "Forward a submission to another body named in `forwarded_to` (-> `forwarded`).",
    "Already closed"
);
step_endpoint!(
    publish_feedback,
    "/feedback/{id}/publish",
    Step::Publish,
    "Publish a closed submission and its reply to the public list (never its personal data).",
    "Not closed, or already published"
);
step_endpoint!(
    unpublish_feedback,
    "/feedback/{id}/unpublish",
    Step::Unpublish,
    "Take a submission off the public list.",
    "Not published"
);
step_endpoint!(note_feedback, "/feedback/{id}/notes", Step::Note, "Add an internal `note` to the trail.", "Never");

/// Assign a submission to a moderator or admin (or unassign it with null).
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The submission's id")),
    request_body = AssignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission", body = FeedbackDetail),
        (status = 404, description = "No such submission"),
    )
)]
#[post("/feedback/{id}/assign")]
pub async fn assign_feedback(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<AssignRequest>,
) -> Result<web::Json<FeedbackDetail>, ApiError> {
    user.require(&[Role::Moderator])?;
    let (assignee, id) = (body.0.assignee_id, id.into_inner());
    let state2 = state.clone();
    let view = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            managed(c, &user, id)?;
            if let Some(assignee) = assignee {
                crate::users::find_user_row(c, assignee)
                    .optional()?
                    .filter(|u| u.active && matches!(Role::parse(&u.role), Some(Role::Moderator | Role::Admin)))
                    .ok_or_else(|| {
                        ApiError::invalid("assignee_id", "invalid_value", "must be an active moderator or admin")
                    })?;
            }
            repo::set_assignee(c, id, assignee)?;
            repo::add_trail(c, id, Some(user.id), "assign", None, None, Some(&format!("assignee: {assignee:?}")))?;
            repo::log_access(c, id, user.id, "read")?;
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::not_found("feedback"))?;
            detail(c, &state2.vault, row)
        })
    })
    .await?;
    Ok(web::Json(view))
}

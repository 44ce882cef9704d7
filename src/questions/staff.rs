//! Moderation of questions (moderators, admins): wording, answer, publication, rejection, and the\n//! asker's personal data (read and erased, each access logged).

use actix_web::{HttpResponse, delete, get, patch, post, web};

use super::model::*;
use super::public::{check_text, field_by_code, search_text, to_questions};
use super::repo;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn, write_transaction};
use crate::error::ApiError;
use crate::http::ApiJson;
use crate::state::AppState;

/// Loads a question for a staff write, locked for the rest of the transaction.
fn managed(conn: &mut DbConn, user: &AuthUser, id: i64) -> Result<QuestionRow, ApiError> {
    user.require(&[Role::Moderator])?;
    let row = repo::find_for_write(conn, id)?.ok_or_else(|| ApiError::not_found("question"))?;
    if !user.covers_site(Some(row.site_id)) {
        return Err(ApiError::not_found("question"));
    }
    Ok(row)
}

fn staff_view(conn: &mut DbConn, id: i64) -> Result<Question, ApiError> {
    let row = repo::find(conn, id)?.ok_or_else(|| ApiError::not_found("question"))?;
    to_questions(conn, vec![row], true)?.pop().ok_or_else(|| ApiError::not_found("question"))
}

/// Correct the public wording of a question, or change its field, procedure or `featured` flag
/// (moderators, admins). The wording as asked stays in the record.
#[utoipa::path(
    tag = "questions",
    params(("key" = i64, Path, description = "The question's id")),
    request_body = UpdateQuestion,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The question", body = Question),
        (status = 404, description = "No such question"),
    )
)]
#[patch("/questions/{key}")]
pub async fn update_question(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateQuestion>,
) -> Result<web::Json<Question>, ApiError> {
    user.require(&[Role::Moderator])?;
    let (input, id) = (body.0, id.into_inner());
    let question = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            change_wording(c, &user, id, &input)?;
            staff_view(c, id)
        })
    })
    .await?;
    Ok(web::Json(question))
}

/// Checks and applies a change of a question's wording, in the caller's transaction.
fn change_wording(c: &mut DbConn, user: &AuthUser, id: i64, input: &UpdateQuestion) -> Result<QuestionRow, ApiError> {
    let mut errors = vec![];
    if let Some(t) = &input.title {
        check_text("title", t, 200, &mut errors);
    }
    if let Some(q) = &input.question {
        check_text("question", q, 5000, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let row = managed(c, user, id)?;
    let field_id = match &input.field {
        Some(code) => field_by_code(c, code, "field")?.id,
        None => row.field_id,
    };
    let title = input.title.as_deref().map(str::trim).unwrap_or(&row.title).to_owned();
    let question = input.question.as_deref().map(str::trim).unwrap_or(&row.question).to_owned();
    let wording = repo::Wording {
        title: &title,
        question: &question,
        field_id,
        procedure_code: input.procedure_code.clone().unwrap_or(row.procedure_code.clone()),
        featured: input.featured.unwrap_or(row.featured),
        search_text: search_text(&title, &question, row.answer.as_deref()),
    };
    repo::update_wording(c, id, &wording)?;
    Ok(row)
}

/// Puts back a revision's wording and answer of a question (see `crate::revisions`); its status
/// stays as it is (an answer comes back only to a question that takes one).
pub fn restore_revision(
    c: &mut DbConn,
    user: &AuthUser,
    id: i64,
    content: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    let mut wording = content.clone();
    let answer = wording.remove("answer").and_then(|a| a.as_str().map(str::to_owned));
    let unit = wording.remove("answering_unit").and_then(|u| u.as_str().map(str::to_owned));
    change_wording(c, user, id, &crate::http::from_revision(&wording)?)?;
    let row = repo::find_for_write(c, id)?.ok_or_else(|| ApiError::not_found("question"))?;
    if let (Some(answer), Some(unit)) = (answer, unit)
        && row.status().may_take_answer()
        && (row.answer.as_deref() != Some(answer.as_str()) || row.answering_unit.as_deref() != Some(unit.as_str()))
    {
        let stored = repo::Answer {
            answer: &answer,
            answering_unit: &unit,
            answered_at: row.answered_at.unwrap_or_else(db::now),
            status: row.status().after_answer(),
            search_text: search_text(&row.title, &row.question, Some(&answer)),
        };
        repo::set_answer(c, id, &stored)?;
    }
    Ok(())
}

/// Answer a question (moderators, admins): sanitised HTML, the answering unit and the date.
#[utoipa::path(
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    request_body = AnswerQuestion,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The answered question", body = Question),
        (status = 404, description = "No such question"),
        (status = 409, description = "Rejected questions take no answer"),
    )
)]
#[post("/questions/{id}/answer")]
pub async fn answer_question(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<AnswerQuestion>,
) -> Result<web::Json<Question>, ApiError> {
    user.require(&[Role::Moderator])?;
    let (input, id) = (body.0, id.into_inner());
    let mut errors = vec![];
    check_text("answer", &crate::text::html_to_text(&input.answer), 50_000, &mut errors);
    check_text("answering_unit", &input.answering_unit, 200, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let question = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            if !row.status().may_take_answer() {
                return Err(ApiError::Conflict("A rejected question takes no answer.".into()));
            }
            let answer = crate::text::sanitize_html(&input.answer);
            let stored = repo::Answer {
                answer: &answer,
                answering_unit: input.answering_unit.trim(),
                answered_at: input.answered_at.map_or_else(db::now, |t| t.naive_utc()),
                status: row.status().after_answer(),
                search_text: search_text(&row.title, &row.question, Some(&answer)),
            };
            repo::set_answer(c, id, &stored)?;
            staff_view(c, id)
        })
    })
    .await?;
    Ok(web::Json(question))
}

/// Publish an answered question (moderators, admins): it gets a slug and appears to the public.
#[utoipa::path(
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The published question", body = Question),
        (status = 404, description = "No such question"),
        (status = 409, description = "Not answered yet, or already published"),
    )
)]
#[post("/questions/{id}/publish")]
pub async fn publish_question(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Question>, ApiError> {
    let id = id.into_inner();
    let question = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            if row.status() != QuestionStatus::Answered {
                return Err(ApiError::Conflict(format!(
                    "A question that is {} cannot be published; answer it first.",
                    row.status
                )));
            }
            let slug = row.slug.clone().unwrap_or_else(|| {
                let base = crate::text::slugify(&row.title, 100);
                format!("{}-{}", if base.is_empty() { "hoi-dap".to_owned() } else { base }, row.id)
            });
            repo::publish(c, id, &slug, row.published_at.unwrap_or_else(db::now))?;
            staff_view(c, id)
        })
    })
    .await?;
    Ok(web::Json(question))
}

/// Take a published question off the public list (back to answered).
#[utoipa::path(
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The question", body = Question),
        (status = 404, description = "No such question"),
        (status = 409, description = "Not published"),
    )
)]
#[post("/questions/{id}/unpublish")]
pub async fn unpublish_question(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<Question>, ApiError> {
    let id = id.into_inner();
    let question = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            if row.status() != QuestionStatus::Published {
                return Err(ApiError::Conflict("The question is not published.".into()));
            }
            repo::set_status(c, id, QuestionStatus::Answered)?;
            staff_view(c, id)
        })
    })
    .await?;
    Ok(web::Json(question))
}

/// Reject a question with a reason the asker sees (moderators, admins).
#[utoipa::path(
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    request_body = RejectQuestion,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rejected question", body = Question),
        (status = 404, description = "No such question"),
        (status = 409, description = "Published or already rejected"),
    )
)]
#[post("/questions/{id}/reject")]
pub async fn reject_question(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<RejectQuestion>,
) -> Result<web::Json<Question>, ApiError> {
    user.require(&[Role::Moderator])?;
    let (reason, id) = (body.0.reason, id.into_inner());
    let mut errors = vec![];
    check_text("reason", &reason, 2000, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let question = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            if !row.status().may_be_rejected() {
                return Err(ApiError::Conflict(format!("A question that is {} cannot be rejected.", row.status)));
            }
            repo::reject(c, id, reason.trim())?;
            staff_view(c, id)
        })
    })
    .await?;
    Ok(web::Json(question))
}

/// The asker's name and contact (moderators, admins). Every read is logged.
#[utoipa::path(
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The asker", body = AskerView),
        (status = 404, description = "No such question"),
    )
)]
#[get("/questions/{id}/asker")]
pub async fn question_asker(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<AskerView>, ApiError> {
    let id = id.into_inner();
    let state2 = state.clone();
    // A write transaction although nothing is written: its audit entry records the read.
    let view = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            log::info!("personal data of question {id} read by user {}", user.id);
            let open = |v: &Option<String>| -> Result<Option<String>, ApiError> {
                v.as_deref().map(|s| state2.vault.open(s).map_err(ApiError::internal)).transpose()
            };
            Ok(AskerView {
                name: open(&row.asker_name)?,
                phone: open(&row.asker_phone)?,
                email: open(&row.asker_email)?,
                consent_notice_version: row.consent_version,
                consent_at: row.consent_at.and_utc(),
            })
        })
    })
    .await?;
    Ok(web::Json(view))
}

/// Erase the asker's personal data; the question and answer stay (moderators, admins).
#[utoipa::path(
    tag = "questions",
    params(("id" = i64, Path, description = "The question's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Erased"),
        (status = 404, description = "No such question"),
    )
)]
#[delete("/questions/{id}/asker")]
pub async fn erase_asker(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            managed(c, &user, id)?;
            repo::erase_asker(c, id)?;
            log::info!("personal data of question {id} erased by user {}", user.id);
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

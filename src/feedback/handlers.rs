//! Feedback endpoints: the public submission and tracking, the published list, the staff
//! workflow, and the submitter's personal data (read, exported and erased, every access logged).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::model::*;
use super::repo;
use crate::auth::{AuthUser, Role};
use crate::db::schema::{feedback, feedback_topics, users};
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError, Problem, unique_as};
use crate::http::{ApiJson, ApiQuery, ListResponse, Paging, list_response};
use crate::limits::RateLimited;
use crate::sites;
use crate::sites::model::SiteRef;
use crate::state::AppState;
use crate::users::model::UserRef;

/// How long an identical submission is answered with the first one's receipt.
const DUPLICATE_WINDOW_MINUTES: i64 = 10;

use crate::citizen::{check_text, new_secret, sha256_hex};

fn new_tracking_code() -> String {
    crate::citizen::new_tracking_code("GY")
}

fn receipt(row: &FeedbackRow, secret: String) -> Receipt {
    Receipt {
        tracking_code: row.tracking_code.clone(),
        secret,
        status: FeedbackStatus::parse(&row.status).unwrap_or(FeedbackStatus::Received),
        created_at: row.created_at.and_utc(),
        track_url: format!("/api/v1/feedback/track/{}", row.tracking_code),
    }
}

fn created(receipt: &Receipt) -> HttpResponse {
    HttpResponse::Created().insert_header((header::LOCATION, receipt.track_url.clone())).json(receipt)
}

/// Checks a submission; returns the normalised phone and email.
fn validate(input: &SubmitFeedback) -> Result<(Option<String>, Option<String>), ApiError> {
    let mut errors = vec![];
    if input.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        errors.push(FieldError::new("website", "invalid_value", "must be left empty"));
    }
    check_text("title", &input.title, 200, &mut errors);
    check_text("content", &input.content, 10_000, &mut errors);
    check_text("submitter.name", &input.submitter.name, 200, &mut errors);
    if let Some(address) = &input.submitter.address
        && address.chars().count() > 500
    {
        errors.push(FieldError::new("submitter.address", "too_long", "must be at most 500 characters"));
    }
    let (phone, email) = crate::citizen::check_contact(
        "submitter",
        input.submitter.phone.as_deref(),
        input.submitter.email.as_deref(),
        &mut errors,
    );
    if !input.consent {
        errors.push(FieldError::new(
            "consent",
            "required",
            "must be true: personal data is processed only with consent",
        ));
    }
    check_text("consent_notice_version", &input.consent_notice_version, 50, &mut errors);
    if let Some(subject) = &input.subject {
        check_text("subject.reference", &subject.reference, 200, &mut errors);
    }
    if errors.is_empty() { Ok((phone, email)) } else { Err(ApiError::Validation(errors)) }
}

/// Send feedback: a comment, proposal or complaint, from a person or an organisation.
///
/// Public and rate-limited. The answer carries a tracking code and a secret to follow the
/// submission. Repeating the same submission (or the same `Idempotency-Key`) answers the first
/// receipt again instead of storing a copy. The submission is stored durably before the 201.
#[utoipa::path(
    tag = "feedback",
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string: a retry with the same key answers the first receipt")),
    request_body = SubmitFeedback,
    responses(
        (status = 201, description = "Received; `Location` is the tracking URL", body = Receipt,
            headers(("Location" = String, description = "The tracking URL"))),
        (status = 409, description = "The `Idempotency-Key` was used for a different submission, or the same submission came again without one", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many submissions from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/feedback")]
pub async fn submit_feedback(
    state: web::Data<AppState>,
    limit: RateLimited,
    req: HttpRequest,
    body: ApiJson<SubmitFeedback>,
) -> Result<HttpResponse, ApiError> {
    submit(state, limit, &req, body.0).await.map(|receipt| created(&receipt))
}

/// Stores a submission (or finds the one it repeats) and answers its receipt. The rate limit has
/// been passed: the `RateLimited` proof says so.
pub async fn submit(
    state: web::Data<AppState>,
    _limit: RateLimited,
    req: &HttpRequest,
    input: SubmitFeedback,
) -> Result<Receipt, ApiError> {
    let (phone, email) = validate(&input)?;
    let idempotency_key = crate::citizen::idempotency_key(req);
    let state2 = state.clone();
    let outcome = db::run_write(&state.db, move |c| {
        let vault = &state2.vault;
        let site_id = crate::citizen::submission_site(c, input.site.as_deref())?;
        let topic = repo::topic_by_code(c, site_id, input.topic.trim())?
            .filter(|t| t.active)
            .ok_or_else(|| ApiError::invalid("topic", "not_found", "no open topic has this code"))?;
        let contact_index = email.as_deref().or(phone.as_deref()).map(|c| vault.blind_index(c));
        let normalise = crate::citizen::normalise;
        let fingerprint = sha256_hex(&format!(
            "{site_id}|{}|{}|{}|{}|{}",
            topic.id,
            input.kind.as_str(),
            normalise(&input.title),
            normalise(&input.content),
            contact_index.as_deref().unwrap_or("")
        ));
        let replay = |row: FeedbackRow| -> Result<Result<Receipt, Receipt>, ApiError> {
            let secret = row.secret_sealed.as_deref().and_then(|s| vault.open(s).ok()).unwrap_or_default();
            Ok(Err(receipt(&row, secret)))
        };
        if let Some(key) = &idempotency_key
            && let Some(existing) = repo::find_by_idempotency_key(c, key)?
        {
            if existing.fingerprint != fingerprint {
                return Err(ApiError::Conflict("This Idempotency-Key was used for a different submission.".into()));
            }
            return replay(existing);
        }
        let now = db::now();
        if repo::find_duplicate(c, &fingerprint, now - Duration::minutes(DUPLICATE_WINDOW_MINUTES))?.is_some() {
            return Err(crate::citizen::duplicate_submission("submission"));
        }
        let secret = new_secret();
        let code = new_tracking_code();
        let fold = crate::text::fold;
        let insert =
            |c: &mut DbConn| {
                diesel::insert_into(feedback::table)
                    .values((
                        feedback::site_id.eq(site_id),
                        feedback::tracking_code.eq(&code),
                        feedback::secret_hash.eq(sha256_hex(&secret)),
                        feedback::secret_sealed.eq(Some(vault.seal(&secret))),
                        feedback::kind.eq(input.kind.as_str()),
                        feedback::topic_id.eq(topic.id),
                        feedback::subject_type.eq(input.subject.as_ref().map(|s| s.subject_type.as_str())),
                        feedback::subject_ref.eq(input.subject.as_ref().map(|s| s.reference.trim().to_owned())),
                        feedback::title.eq(input.title.trim()),
                        feedback::content.eq(input.content.trim()),
                        feedback::search_text.eq(format!("{} {}", fold(&input.title), fold(&input.content))),
                        feedback::submitter_type.eq(match input.submitter.submitter_type {
                            SubmitterType::Person => "person",
                            SubmitterType::Organization => "organization",
                        }),
                        feedback::submitter_name.eq(Some(vault.seal(input.submitter.name.trim()))),
                        feedback::submitter_phone.eq(vault.seal_opt(phone.as_deref())),
                        feedback::submitter_email.eq(vault.seal_opt(email.as_deref())),
                        feedback::submitter_address
                            .eq(vault
                                .seal_opt(input.submitter.address.as_deref().map(str::trim).filter(|a| !a.is_empty()))),
                        feedback::contact_index.eq(contact_index),
                        feedback::consent_version.eq(input.consent_notice_version.trim()),
                        feedback::consent_at.eq(now),
                        feedback::status.eq("received"),
                        feedback::idempotency_key.eq(&idempotency_key),
                        feedback::fingerprint.eq(&fingerprint),
                        feedback::created_at.eq(now),
                        feedback::updated_at.eq(now),
                    ))
                    .returning(feedback::id)
                    .get_result::<i64>(c)
            };
        // With an Idempotency-Key, in a savepoint: a concurrent retry with the same key may win the
        // race, and then this one answers its receipt.
        let inserted = if idempotency_key.is_some() { c.transaction(insert) } else { insert(c) };
        let id = match inserted {
            Ok(id) => id,
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
                if idempotency_key.is_some() =>
            {
                let key = idempotency_key.as_deref().unwrap_or_default();
                let existing =
                    repo::find_by_idempotency_key(c, key)?.ok_or_else(|| ApiError::internal("idempotency race"))?;
                if existing.fingerprint != fingerprint {
                    return Err(ApiError::Conflict("This Idempotency-Key was used for a different submission.".into()));
                }
                return replay(existing);
            }
            Err(e) => return Err(e.into()),
        };
        repo::add_trail(c, id, None, "received", None, Some("received"), None)?;
        Ok(Ok(Receipt {
            track_url: format!("/api/v1/feedback/track/{code}"),
            tracking_code: code,
            secret,
            status: FeedbackStatus::Received,
            created_at: now.and_utc(),
        }))
    })
    .await;
    let outcome = outcome?;
    Ok(match outcome {
        Ok(receipt) | Err(receipt) => receipt,
    })
}

fn public_steps(conn: &mut DbConn, id: i64) -> Result<Vec<PublicStep>, ApiError> {
    Ok(repo::trail(conn, id)?
        .into_iter()
        .filter_map(|(_, _, to, _, _, at)| {
            to.and_then(|s| FeedbackStatus::parse(&s)).map(|status| PublicStep { status, at: at.and_utc() })
        })
        .collect())
}

fn parse_kind(kind: &str) -> FeedbackKind {
    match kind {
        "comment" => FeedbackKind::Comment,
        "proposal" => FeedbackKind::Proposal,
        "complaint" => FeedbackKind::Complaint,
        _ => FeedbackKind::Other,
    }
}

fn subject_of(row: &FeedbackRow) -> Option<Subject> {
    let subject_type = SubjectType::parse(row.subject_type.as_deref()?)?;
    Some(Subject { subject_type, reference: row.subject_ref.clone().unwrap_or_default() })
}

/// Follow a submission with its tracking code and secret: status, public reply and history.
#[utoipa::path(
    tag = "feedback",
    params(
        ("code" = String, Path, description = "The tracking code"),
        ("X-Tracking-Secret" = String, Header, description = "The secret from the receipt"),
    ),
    responses(
        (status = 200, description = "The submission, without personal data", body = TrackedFeedback),
        (status = 404, description = "No submission with this code and secret", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/feedback/track/{code}")]
pub async fn track_feedback(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let secret = crate::citizen::tracking_secret(&req);
    let code = code.into_inner().trim().to_uppercase();
    let tracked = db::run(&state.db, move |conn| {
        let row = repo::find_by_code(conn, &code)?.ok_or_else(|| ApiError::not_found("feedback"))?;
        // The same answer for an unknown code and a wrong secret; compared in constant time.
        let matches = crate::citizen::secret_matches(&secret, &row.secret_hash);
        if !matches {
            return Err(ApiError::not_found("feedback"));
        }
        let topics = repo::topic_refs(conn, vec![row.topic_id])?;
        Ok(TrackedFeedback {
            tracking_code: row.tracking_code.clone(),
            kind: parse_kind(&row.kind),
            topic: topics.get(&row.topic_id).cloned().ok_or_else(|| ApiError::internal("feedback without topic"))?,
            title: row.title.clone(),
            content: row.content.clone(),
            status: FeedbackStatus::parse(&row.status).unwrap_or(FeedbackStatus::Received),
            forwarded_to: row.forwarded_to.clone(),
            public_reply: row.public_reply.clone(),
            replied_at: row.replied_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            history: public_steps(conn, row.id)?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "private, no-store")).json(tracked))
}

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
        let site_ids = sites::repo::site_filter(conn, &query.site)?;
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
    let sites = sites::repo::refs_by_id(conn, rows.iter().map(|r| r.site_id).collect())?;
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
        (status = 409, description = "The code is taken in this site", body = Problem, content_type = "application/problem+json"),
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
            let site_id = sites::repo::site_for_write(c, &user, input.site_id)?;
            let now = db::now();
            let id: i64 = diesel::insert_into(feedback_topics::table)
                .values((
                    feedback_topics::site_id.eq(site_id),
                    feedback_topics::code.eq(&input.code),
                    feedback_topics::name.eq(input.name.trim()),
                    feedback_topics::description.eq(input.description.as_deref().unwrap_or("").trim()),
                    feedback_topics::active.eq(true),
                    feedback_topics::position.eq(input.position.unwrap_or(0)),
                    feedback_topics::created_at.eq(now),
                    feedback_topics::updated_at.eq(now),
                ))
                .returning(feedback_topics::id)
                .get_result(c)
                .map_err(unique_as("code"))?;
            let row = feedback_topics::table.find(id).select(TopicRow::as_select()).first(c)?;
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
        (status = 404, description = "No such topic", body = Problem, content_type = "application/problem+json"),
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
    let mut errors = vec![];
    if let Some(name) = &input.name {
        check_text("name", name, 200, &mut errors);
    }
    check_topic_description(input.description.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let topic = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row: TopicRow = feedback_topics::table
                .find(id)
                .select(TopicRow::as_select())
                .first(c)
                .optional()?
                .ok_or_else(|| ApiError::not_found("topic"))?;
            user.require_site(Some(row.site_id))?;
            diesel::update(feedback_topics::table.find(id))
                .set((
                    input.name.as_deref().map(|n| feedback_topics::name.eq(n.trim().to_owned())),
                    input.description.as_deref().map(|d| feedback_topics::description.eq(d.trim().to_owned())),
                    input.active.map(|a| feedback_topics::active.eq(a)),
                    input.position.map(|p| feedback_topics::position.eq(p)),
                    feedback_topics::updated_at.eq(db::now()),
                ))
                .execute(c)?;
            let row = feedback_topics::table.find(id).select(TopicRow::as_select()).first(c)?;
            to_topics(c, vec![row])?.pop().ok_or_else(|| ApiError::internal("topic vanished"))
        })
    })
    .await?;
    Ok(web::Json(topic))
}

fn summaries(conn: &mut DbConn, rows: Vec<FeedbackRow>) -> Result<Vec<FeedbackSummary>, ApiError> {
    let topics = repo::topic_refs(conn, rows.iter().map(|r| r.topic_id).collect())?;
    let sites = sites::repo::refs_by_id(conn, rows.iter().map(|r| r.site_id).collect())?;
    let assignees: std::collections::HashMap<i64, String> = users::table
        .filter(users::id.eq_any(rows.iter().filter_map(|r| r.assignee_id).collect::<Vec<_>>()))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| FeedbackSummary {
            id: r.id,
            tracking_code: r.tracking_code.clone(),
            site: sites.get(&r.site_id).cloned().unwrap_or(SiteRef {
                id: r.site_id,
                code: String::new(),
                name: String::new(),
            }),
            kind: parse_kind(&r.kind),
            topic: topics.get(&r.topic_id).cloned().unwrap_or(TopicRef {
                id: r.topic_id,
                code: String::new(),
                name: String::new(),
            }),
            subject: subject_of(&r),
            title: r.title.clone(),
            status: FeedbackStatus::parse(&r.status).unwrap_or(FeedbackStatus::Received),
            forwarded_to: r.forwarded_to.clone(),
            assignee: r
                .assignee_id
                .map(|id| UserRef { id, display_name: assignees.get(&id).cloned().unwrap_or_default() }),
            public_reply: r.public_reply.clone(),
            published_at: r.published_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
        .collect())
}

type Db = <DbConn as diesel::Connection>::Backend;

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
        let site_ids = sites::repo::site_filter(conn, &query.site)?;
        let topic_ids: Option<Vec<i64>> = match &query.topic {
            Some(code) => Some(
                feedback_topics::table.filter(feedback_topics::code.eq(code)).select(feedback_topics::id).load(conn)?,
            ),
            None => None,
        };
        let filtered = || {
            let mut q: feedback::BoxedQuery<'_, Db> = feedback::table.into_boxed();
            if let Some(own) = user.site_id {
                q = q.filter(feedback::site_id.eq(own));
            }
            if let Some(ids) = &site_ids {
                q = q.filter(feedback::site_id.eq_any(ids.clone()));
            }
            if let Some(status) = query.status {
                q = q.filter(feedback::status.eq(status.as_str()));
            }
            if let Some(kind) = query.kind {
                q = q.filter(feedback::kind.eq(kind.as_str()));
            }
            if let Some(ids) = &topic_ids {
                q = q.filter(feedback::topic_id.eq_any(ids.clone()));
            }
            if let Some(from) = from {
                q = q.filter(feedback::created_at.ge(from));
            }
            if let Some(to) = to {
                q = q.filter(feedback::created_at.le(to));
            }
            match assignee {
                Some(None) => q = q.filter(feedback::assignee_id.is_null()),
                Some(Some(id)) => q = q.filter(feedback::assignee_id.eq(id)),
                None => {}
            }
            for word in &words {
                q = q.filter(feedback::search_text.like(crate::db::like_contains(word)).escape('\\'));
            }
            q
        };
        let total: i64 = filtered().count().get_result(conn)?;
        let rows: Vec<FeedbackRow> = filtered()
            .order((feedback::created_at.desc(), feedback::id.desc()))
            .offset(paging.offset())
            .limit(paging.limit())
            .select(FeedbackRow::as_select())
            .load(conn)?;
        Ok((summaries(conn, rows)?, total))
    })
    .await?;
    Ok(list_response(&req, items, total, paging))
}

/// Loads a submission for a staff write, locked for the rest of the transaction.
fn managed(conn: &mut DbConn, user: &AuthUser, id: i64) -> Result<FeedbackRow, ApiError> {
    db::lock_row(conn, "feedback", id)?;
    let row = repo::find(conn, id)?.ok_or_else(|| ApiError::not_found("feedback"))?;
    if !user.covers_site(Some(row.site_id)) {
        return Err(ApiError::not_found("feedback"));
    }
    Ok(row)
}

fn detail(conn: &mut DbConn, vault: &crate::crypto::Vault, row: FeedbackRow) -> Result<FeedbackDetail, ApiError> {
    let open = |v: &Option<String>| -> Result<Option<String>, ApiError> {
        v.as_deref()
            .map(|s| vault.open(s).map_err(|e| ApiError::internal(format!("cannot decrypt personal data: {e}"))))
            .transpose()
    };
    let submitter = SubmitterView {
        submitter_type: if row.submitter_type == "organization" {
            SubmitterType::Organization
        } else {
            SubmitterType::Person
        },
        name: open(&row.submitter_name)?,
        phone: open(&row.submitter_phone)?,
        email: open(&row.submitter_email)?,
        address: open(&row.submitter_address)?,
        erased_at: row.personal_data_erased_at.map(|t| t.and_utc()),
    };
    let actors: Vec<i64> = repo::trail(conn, row.id)?.iter().filter_map(|t| t.4).collect();
    let names: std::collections::HashMap<i64, String> = users::table
        .filter(users::id.eq_any(actors))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let trail = repo::trail(conn, row.id)?
        .into_iter()
        .map(|(action, from, to, note, actor, at)| TrailEntry {
            action,
            from_status: from.and_then(|s| FeedbackStatus::parse(&s)),
            to_status: to.and_then(|s| FeedbackStatus::parse(&s)),
            note,
            actor: actor.map(|id| UserRef { id, display_name: names.get(&id).cloned().unwrap_or_default() }),
            at: at.and_utc(),
        })
        .collect();
    let (content, consent_notice_version, consent_at) =
        (row.content.clone(), row.consent_version.clone(), row.consent_at.and_utc());
    let summary = summaries(conn, vec![row])?.pop().ok_or_else(|| ApiError::internal("summary vanished"))?;
    Ok(FeedbackDetail { summary, content, submitter, consent_notice_version, consent_at, trail })
}

/// One submission with its submitter's personal data and trail (moderators, admins). Every read
/// of the personal data is logged: who, which submission, when.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The submission's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission", body = FeedbackDetail),
        (status = 404, description = "No such submission", body = Problem, content_type = "application/problem+json"),
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

/// Applies a workflow step.
async fn step(
    state: web::Data<AppState>,
    user: AuthUser,
    id: i64,
    action: &'static str,
    request: StepRequest,
) -> Result<FeedbackDetail, ApiError> {
    user.require(&[Role::Moderator])?;
    let state2 = state.clone();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = managed(c, &user, id)?;
            let from = FeedbackStatus::parse(&row.status).unwrap_or(FeedbackStatus::Received);
            let note = request.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let now = db::now();
            let conflict = |allowed: &str| {
                ApiError::Conflict(format!(
                    "A submission that is {} cannot be {action}ed; allowed from: {allowed}.",
                    from.as_str()
                ))
            };
            let to = match action {
                "start" => {
                    if from != FeedbackStatus::Received {
                        return Err(conflict("received"));
                    }
                    Some(FeedbackStatus::InProgress)
                }
                "answer" | "reject" => {
                    if !matches!(from, FeedbackStatus::Received | FeedbackStatus::InProgress) {
                        return Err(conflict("received, in_progress"));
                    }
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
                    diesel::update(feedback::table.find(id))
                        .set((feedback::public_reply.eq(Some(reply)), feedback::replied_at.eq(Some(now))))
                        .execute(c)?;
                    Some(if action == "answer" { FeedbackStatus::Answered } else { FeedbackStatus::Rejected })
                }
                "forward" => {
                    if !matches!(from, FeedbackStatus::Received | FeedbackStatus::InProgress) {
                        return Err(conflict("received, in_progress"));
                    }
                    let to_body = request.forwarded_to.as_deref().map(str::trim).filter(|r| !r.is_empty());
                    let Some(to_body) = to_body else {
                        return Err(ApiError::invalid("forwarded_to", "required", "name the body it is forwarded to"));
                    };
                    diesel::update(feedback::table.find(id))
                        .set(feedback::forwarded_to.eq(Some(to_body)))
                        .execute(c)?;
                    Some(FeedbackStatus::Forwarded)
                }
                "publish" => {
                    if !matches!(from, FeedbackStatus::Answered | FeedbackStatus::Rejected | FeedbackStatus::Forwarded)
                    {
                        return Err(conflict("answered, rejected, forwarded"));
                    }
                    if row.published_at.is_some() {
                        return Err(ApiError::Conflict("The submission is already published.".into()));
                    }
                    diesel::update(feedback::table.find(id)).set(feedback::published_at.eq(Some(now))).execute(c)?;
                    None
                }
                "unpublish" => {
                    if row.published_at.is_none() {
                        return Err(ApiError::Conflict("The submission is not published.".into()));
                    }
                    diesel::update(feedback::table.find(id))
                        .set(feedback::published_at.eq(None::<NaiveDateTime>))
                        .execute(c)?;
                    None
                }
                "note" => {
                    if note.is_none() {
                        return Err(ApiError::invalid("note", "required", "must not be empty"));
                    }
                    None
                }
                _ => return Err(ApiError::internal(format!("unknown step {action}"))),
            };
            if let Some(to) = to {
                let closed = to.is_closed().then_some(now);
                diesel::update(feedback::table.find(id))
                    .set((feedback::status.eq(to.as_str()), feedback::closed_at.eq(closed)))
                    .execute(c)?;
            }
            diesel::update(feedback::table.find(id)).set(feedback::updated_at.eq(now)).execute(c)?;
            repo::add_trail(c, id, Some(user.id), action, Some(from.as_str()), to.map(|t| t.as_str()), note)?;
            repo::log_access(c, id, user.id, "read")?;
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::not_found("feedback"))?;
            detail(c, &state2.vault, row)
        })
    })
    .await
}

macro_rules! step_endpoint {
    ($name:ident, $path:literal, $action:literal, $doc:literal, $from:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            tag = "feedback",
            params(("id" = i64, Path, description = "The submission's id")),
            request_body(content = Option<StepRequest>, description = "Optional note; `reply` or `forwarded_to` where the step needs it"),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "The submission after the step", body = FeedbackDetail),
                (status = 404, description = "No such submission", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = $from, body = Problem, content_type = "application/problem+json"),
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
            step(state, user, id.into_inner(), $action, request).await.map(web::Json)
        }
    };
}

step_endpoint!(
    start_feedback,
    "/feedback/{id}/start",
    "start",
    "Start handling a received submission (-> `in_progress`).",
    "Not received"
);
step_endpoint!(
    answer_feedback,
    "/feedback/{id}/answer",
    "answer",
    "Answer a submission with a public `reply` (-> `answered`).",
    "Already closed"
);
step_endpoint!(
    reject_feedback,
    "/feedback/{id}/reject",
    "reject",
    "Reject a submission, with the public reason in `reply` (-> `rejected`).",
    "Already closed"
);
step_endpoint!(
    forward_feedback,
    "/feedback/{id}/forward",
    "forward",
    "Forward a submission to another body named in `forwarded_to` (-> `forwarded`).",
    "Already closed"
);
step_endpoint!(
    publish_feedback,
    "/feedback/{id}/publish",
    "publish",
    "Publish a closed submission and its reply to the public list (never its personal data).",
    "Not closed, or already published"
);
step_endpoint!(
    unpublish_feedback,
    "/feedback/{id}/unpublish",
    "unpublish",
    "Take a submission off the public list.",
    "Not published"
);
step_endpoint!(note_feedback, "/feedback/{id}/notes", "note", "Add an internal `note` to the trail.", "Never");

/// Assign a submission to a moderator or admin (or unassign it with null).
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The submission's id")),
    request_body = AssignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission", body = FeedbackDetail),
        (status = 404, description = "No such submission", body = Problem, content_type = "application/problem+json"),
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
                crate::users::repo::find_user_row(c, assignee)
                    .optional()?
                    .filter(|u| u.active && (u.role == "moderator" || u.role == "admin"))
                    .ok_or_else(|| {
                        ApiError::invalid("assignee_id", "invalid_value", "must be an active moderator or admin")
                    })?;
            }
            diesel::update(feedback::table.find(id))
                .set((feedback::assignee_id.eq(assignee), feedback::updated_at.eq(db::now())))
                .execute(c)?;
            repo::add_trail(c, id, Some(user.id), "assign", None, None, Some(&format!("assignee: {assignee:?}")))?;
            repo::log_access(c, id, user.id, "read")?;
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::not_found("feedback"))?;
            detail(c, &state2.vault, row)
        })
    })
    .await?;
    Ok(web::Json(view))
}

/// Export the submitter's personal data with the submission, for a request by that person
/// (moderators, admins). Logged.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "The submission's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submission with its personal data", body = FeedbackDetail),
        (status = 404, description = "No such submission", body = Problem, content_type = "application/problem+json"),
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
        (status = 404, description = "No such submission", body = Problem, content_type = "application/problem+json"),
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
        (status = 404, description = "No such submission", body = Problem, content_type = "application/problem+json"),
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

/// Published submissions and their replies: what anyone can read. Never personal data.
#[utoipa::path(
    tag = "feedback",
    params(PublishedListQuery),
    responses((status = 200, description = "A page of published submissions, newest first", body = ListResponse<PublishedFeedback>,
        headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                ("X-Total-Count" = i64, description = "Published submissions matching, over all pages"))))
)]
#[get("/feedback/published")]
pub async fn list_published(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ApiQuery<PublishedListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let words = crate::text::search_words(query.q.as_deref());
    let (items, total) = db::run(&state.db, move |conn| {
        let site_ids = sites::repo::site_filter(conn, &query.site)?;
        let (rows, total) =
            published_rows(conn, site_ids.as_deref(), query.topic.as_deref(), query.kind, &words, None, paging)?;
        Ok((to_published(conn, rows)?, total))
    })
    .await?;
    Ok(list_response(&req, items, total, paging))
}

/// Published submissions, newest first, optionally only those with the given tracking codes.
pub fn published_rows(
    conn: &mut DbConn,
    site_ids: Option<&[i64]>,
    topic: Option<&str>,
    kind: Option<FeedbackKind>,
    words: &[String],
    codes: Option<&[String]>,
    paging: Paging,
) -> Result<(Vec<FeedbackRow>, i64), ApiError> {
    let topic_ids: Option<Vec<i64>> = match topic {
        Some(code) => {
            Some(feedback_topics::table.filter(feedback_topics::code.eq(code)).select(feedback_topics::id).load(conn)?)
        }
        None => None,
    };
    let filtered = || {
        let mut q: feedback::BoxedQuery<'_, Db> =
            feedback::table.filter(feedback::published_at.is_not_null()).into_boxed();
        if let Some(ids) = site_ids {
            q = q.filter(feedback::site_id.eq_any(ids.to_vec()));
        }
        if let Some(ids) = &topic_ids {
            q = q.filter(feedback::topic_id.eq_any(ids.clone()));
        }
        if let Some(kind) = kind {
            q = q.filter(feedback::kind.eq(kind.as_str()));
        }
        if let Some(codes) = codes {
            q = q.filter(feedback::tracking_code.eq_any(codes.to_vec()));
        }
        for word in words {
            q = q.filter(feedback::search_text.like(crate::db::like_contains(word)).escape('\\'));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((feedback::published_at.desc(), feedback::id.desc()))
        .offset(paging.offset())
        .limit(paging.limit())
        .select(FeedbackRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn to_published(conn: &mut DbConn, rows: Vec<FeedbackRow>) -> Result<Vec<PublishedFeedback>, ApiError> {
    let topics = repo::topic_refs(conn, rows.iter().map(|r| r.topic_id).collect())?;
    Ok(rows
        .into_iter()
        .map(|r| PublishedFeedback {
            tracking_code: r.tracking_code.clone(),
            kind: parse_kind(&r.kind),
            topic: topics.get(&r.topic_id).cloned().unwrap_or(TopicRef {
                id: r.topic_id,
                code: String::new(),
                name: String::new(),
            }),
            subject: subject_of(&r),
            title: r.title.clone(),
            content: r.content.clone(),
            status: FeedbackStatus::parse(&r.status).unwrap_or(FeedbackStatus::Received),
            public_reply: r.public_reply.clone(),
            replied_at: r.replied_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
            published_at: r.published_at.map(|t| t.and_utc()),
        })
        .collect())
}

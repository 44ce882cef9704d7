//! Questions as citizens and the public see them: asking, tracking, the published list and one\n//! question.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Duration;

use super::model::*;
use super::repo;
use crate::auth::{AuthUser, MaybeUser, Role};
use crate::citizen::{new_secret, normalise, sha256_hex};
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::fields::model::FieldRow;
use crate::http::{ApiJson, ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::limits::RateLimited;
use crate::search::{self, Engine, Kind};
use crate::sites;
use crate::sites::model::SiteRef;
use crate::state::AppState;

pub(super) fn field_by_code(conn: &mut DbConn, code: &str, name: &str) -> Result<FieldRow, ApiError> {
    crate::fields::by_code(conn, code)?.ok_or_else(|| ApiError::invalid(name, "not_found", "no field has this code"))
}

fn receipt(row: &QuestionRow, secret: String) -> QuestionReceipt {
    QuestionReceipt {
        tracking_code: row.tracking_code.clone(),
        secret,
        status: row.status(),
        created_at: row.created_at.and_utc(),
        track_url: format!("/api/v1/questions/track/{}", row.tracking_code),
    }
}

pub(super) fn check_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    crate::citizen::check_text(field, value, max, errors);
}

pub(super) fn search_text(title: &str, question: &str, answer: Option<&str>) -> String {
    let answer = answer.map(crate::text::html_to_text).unwrap_or_default();
    crate::text::fold(&format!("{title} {question} {answer}"))
}

/// Checks a question; returns the asker's normalised phone and email.
/// What is wrong with the site and field a question names, as field errors.
fn unknown_site_or_field(c: &mut DbConn, site: Option<&str>, field: &str, consent_version: &str) -> Vec<FieldError> {
    let (mut errors, site_id) = match crate::citizen::submission_site(c, site) {
        Ok(id) => (vec![], Some(id)),
        Err(ApiError::Validation(errors)) => (errors, None),
        Err(_) => (vec![], None),
    };
    if let Err(ApiError::Validation(more)) = field_by_code(c, field, "field") {
        errors.extend(more);
    }
    if let Some(site_id) = site_id {
        errors.extend(crate::privacy::outdated_consent(c, site_id, consent_version));
    }
    errors
}

fn validate(input: &AskQuestion) -> Result<(Option<String>, Option<String>), ApiError> {
    let mut errors = vec![];
    if input.website.as_deref().is_some_and(|w| !w.trim().is_empty()) {
        errors.push(FieldError::new("website", "invalid_value", "must be left empty"));
    }
    check_text("title", &input.title, 200, &mut errors);
    check_text("question", &input.question, 5000, &mut errors);
    check_text("asker.name", &input.asker.name, 200, &mut errors);
    let (phone, email) =
        crate::citizen::check_contact("asker", input.asker.phone.as_deref(), input.asker.email.as_deref(), &mut errors);
    if !input.consent {
        errors.push(FieldError::new(
            "consent",
            "required",
            "must be true: personal data is processed only with consent",
        ));
    }
    check_text("consent_notice_version", &input.consent_notice_version, 50, &mut errors);
    if let Some(code) = &input.procedure_code
        && (code.trim().is_empty() || code.len() > 50)
    {
        errors.push(FieldError::new("procedure_code", "invalid_format", "must be a procedure code such as 1.001193"));
    }
    if errors.is_empty() { Ok((phone, email)) } else { Err(ApiError::Validation(errors)) }
}

/// Ask a question (public, rate-limited). The asker's name and contact are personal data: kept
/// encrypted, shown to staff only, never published. The answer is 201 with a tracking code and a
/// secret. A retry with the same `Idempotency-Key` answers the first receipt; the same question
/// again within minutes without it is a 409 that gives out nothing of the first.
#[utoipa::path(
    tag = "questions",
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers the first receipt")),
    request_body = AskQuestion,
    responses(
        (status = 201, description = "Received", body = QuestionReceipt, headers(("Location" = String, description = "The tracking URL"))),
        (status = 409, description = "The `Idempotency-Key` was used for a different question, or the same question came again without one"),
        (status = 429, description = "Too many requests from this address"),
    )
)]
#[post("/questions")]
pub async fn ask_question(
    state: web::Data<AppState>,
    _limit: RateLimited,
    req: HttpRequest,
    body: ApiJson<AskQuestion>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    let (phone, email) = match validate(&input) {
        Ok(contacts) => contacts,
        // One answer with everything at fault: the site and field too, which take a read.
        Err(ApiError::Validation(mut errors)) => {
            let (site, field, version) =
                (input.site.clone(), input.field.clone(), input.consent_notice_version.clone());
            let more = db::run(&state.db, move |c| Ok(unknown_site_or_field(c, site.as_deref(), &field, &version)));
            errors.extend(more.await?);
            return Err(ApiError::Validation(errors));
        }
        Err(other) => return Err(other),
    };
    let idempotency_key = crate::citizen::idempotency_key(&req);
    let state2 = state.clone();
    let receipt = db::run_write(&state.db, move |c| {
        let vault = &state2.vault;
        let site_id = crate::citizen::submission_site(c, input.site.as_deref())?;
        let field = field_by_code(c, &input.field, "field")?;
        if let Some(outdated) = crate::privacy::check_consent_version(c, site_id, &input.consent_notice_version)? {
            return Err(ApiError::Validation(vec![outdated]));
        }
        let contact_index = email.as_deref().or(phone.as_deref()).map(|c| vault.blind_index(c));
        let fingerprint = sha256_hex(&format!(
            "{site_id}|{}|{}|{}|{}",
            field.id,
            normalise(&input.title),
            normalise(&input.question),
            contact_index.as_deref().unwrap_or("")
        ));
        let replay = |row: QuestionRow| {
            let secret = row.secret_sealed.as_deref().and_then(|s| vault.open(s).ok()).unwrap_or_default();
            receipt(&row, secret)
        };
        if let Some(key) = &idempotency_key
            && let Some(existing) = repo::find_by_idempotency_key(c, key)?
        {
            if existing.fingerprint != fingerprint {
                return Err(ApiError::Conflict("This Idempotency-Key was used for a different question.".into()));
            }
            return Ok(replay(existing));
        }
        let now = db::now();
        if repo::recent_duplicate(c, &fingerprint, now - Duration::minutes(10))? {
            return Err(crate::citizen::duplicate_submission("question"));
        }
        let secret = new_secret();
        let (title, question) = (input.title.trim(), input.question.trim());
        let inserted = repo::insert(
            c,
            &repo::NewQuestion {
                site_id,
                tracking_code: crate::citizen::new_tracking_code("HD"),
                secret_hash: sha256_hex(&secret),
                secret_sealed: vault.seal(&secret),
                field_id: field.id,
                procedure_code: input.procedure_code.as_deref().map(str::trim),
                title,
                question,
                asker_name: vault.seal(input.asker.name.trim()),
                asker_phone: vault.seal_opt(phone.as_deref()),
                asker_email: vault.seal_opt(email.as_deref()),
                contact_index: contact_index.clone(),
                consent_version: input.consent_notice_version.trim(),
                search_text: search_text(title, question, None),
                idempotency_key: idempotency_key.clone(),
                fingerprint: fingerprint.clone(),
                now,
            },
        );
        let id = match inserted {
            Ok(id) => id,
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
                if idempotency_key.is_some() =>
            {
                let existing = repo::find_by_idempotency_key(c, idempotency_key.as_deref().unwrap_or_default())?
                    .ok_or_else(|| ApiError::internal("idempotency race"))?;
                if existing.fingerprint != fingerprint {
                    return Err(ApiError::Conflict("This Idempotency-Key was used for a different question.".into()));
                }
                return Ok(replay(existing));
            }
            Err(e) => return Err(e.into()),
        };
        let row = repo::find(c, id)?.ok_or_else(|| ApiError::internal("question vanished after insert"))?;
        Ok(receipt(&row, secret))
    })
    .await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, receipt.track_url.clone())).json(receipt))
}

/// Follow a question with its tracking code and secret.
#[utoipa::path(
    tag = "questions",
    params(("code" = String, Path, description = "The tracking code"), ("X-Tracking-Secret" = String, Header, description = "The secret from the receipt")),
    responses(
        (status = 200, description = "The question and, once given, the answer", body = TrackedQuestion),
        (status = 404, description = "No question with this code and secret"),
    )
)]
#[get("/questions/track/{code}")]
pub async fn track_question(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let secret = crate::citizen::tracking_secret(&req);
    let code = code.into_inner().trim().to_uppercase();
    let tracked = db::run(&state.db, move |conn| {
        let row = repo::find_by_tracking_code(conn, &code)?
            .filter(|r| crate::citizen::secret_matches(&secret, &r.secret_hash))
            .ok_or_else(|| ApiError::not_found("question"))?;
        let status = row.status();
        let answered = status.shows_answer();
        Ok(TrackedQuestion {
            tracking_code: row.tracking_code,
            title: row.title,
            question: row.question,
            status,
            answer: row.answer.filter(|_| answered),
            answering_unit: row.answering_unit.filter(|_| answered),
            answered_at: row.answered_at.filter(|_| answered).map(|t| t.and_utc()),
            rejection_reason: row.rejection_reason,
            created_at: row.created_at.and_utc(),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "private, no-store")).json(tracked))
}

fn is_staff(user: &Option<AuthUser>) -> bool {
    user.as_ref().is_some_and(|u| matches!(u.role, Role::Admin | Role::Moderator))
}

pub(super) fn to_questions(conn: &mut DbConn, rows: Vec<QuestionRow>, staff: bool) -> Result<Vec<Question>, ApiError> {
    let field_map = crate::fields::by_ids(conn, rows.iter().map(|r| r.field_id).collect())?;
    let site_map = sites::refs_by_id(conn, rows.iter().map(|r| r.site_id).collect())?;
    Ok(rows
        .into_iter()
        .map(|r| Question {
            // Read before the fields move out of the row.
            status: r.status(),
            id: r.id,
            slug: r.slug,
            site: site_map.get(&r.site_id).cloned().unwrap_or(SiteRef {
                id: r.site_id,
                code: String::new(),
                name: String::new(),
            }),
            field: field_map.get(&r.field_id).cloned().unwrap_or(Field {
                id: r.field_id,
                code: String::new(),
                name: String::new(),
            }),
            procedure_code: r.procedure_code,
            title: r.title,
            question: r.question,
            answer: r.answer,
            answering_unit: r.answering_unit,
            answered_at: r.answered_at.map(|t| t.and_utc()),
            published_at: r.published_at.map(|t| t.and_utc()),
            featured: r.featured,
            created_at: r.created_at.and_utc(),
            original: staff.then_some(OriginalWording { title: r.original_title, question: r.original_question }),
            tracking_code: staff.then_some(r.tracking_code),
            view_count: staff.then_some(r.view_count),
            rejection_reason: if staff { r.rejection_reason } else { None },
        })
        .collect())
}

/// Questions and answers: the published ones for everyone; every status for moderators and admins
/// with a token (`status=`). Never the asker's data.
#[utoipa::path(
    tag = "questions",
    params(QuestionListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of questions", body = ListResponse<Question>,
            headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                    ("X-Total-Count" = i64, description = "Questions matching, over all pages"))),
        (status = 401, description = "`status` without a token, or an invalid token"),
        (status = 403, description = "`status` with a role that may not see unpublished questions"),
    )
)]
#[get("/questions")]
pub async fn list_questions(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: MaybeUser,
    query: ApiQuery<QuestionListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (user, query) = (user.0, query.0);
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<Question>(query.fields.as_deref())?;
    let status = match (&query.status, &user) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(ApiError::Unauthorized("Filtering by `status` is for staff: send an access token.".into()));
        }
        (Some(s), Some(u)) => {
            u.require(&[Role::Moderator])?;
            Some(QuestionStatus::parse(s).ok_or_else(|| ApiError::BadRequestFields {
                detail: "`status` must be pending, answered, published or rejected.".into(),
                errors: vec![FieldError::new(
                    "status",
                    "invalid_value",
                    "must be pending, answered, published or rejected",
                )],
            })?)
        }
    };
    let sort_text = query.sort.clone().unwrap_or_else(|| "-published_at".into());
    let Some(sort) = repo::QuestionSort::parse(&sort_text) else {
        let sort = sort_text;
        return Err(ApiError::BadRequestFields {
            detail: format!("`{sort}` is not a sort of questions."),
            errors: vec![FieldError::new(
                "sort",
                "invalid_value",
                "must be -published_at, published_at, -view_count or featured",
            )],
        });
    };
    let staff = is_staff(&user);
    let zone = state.config.time_zone();
    let from = query.from.as_deref().map(|v| crate::http::parse_instant("from", v, zone, false)).transpose()?;
    let to = query.to.as_deref().map(|v| crate::http::parse_instant("to", v, zone, true)).transpose()?;
    let own_site = if staff { user.as_ref().and_then(|u| u.site_id) } else { None };
    // The public's words are the engine's (staff may see what the index does not hold); with no
    // `sort`, the best matches come first.
    let engine = if staff { None } else { Engine::of(&state) };
    let ranked = query.sort.is_none();
    let (items, total, at) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let field_id = crate::fields::filter_id(conn, query.field.as_deref())?;
        let matches = match (&engine, query.q.as_deref()) {
            (Some(engine), Some(q)) => engine.matches(q, Kind::Question, site_ids.clone())?,
            _ => None,
        };
        let words = match &matches {
            Some(_) => vec![],
            None => crate::text::search_words(query.q.as_deref()),
        };
        let filter = repo::QuestionFilter {
            staff,
            status,
            own_site,
            site_ids,
            field_id,
            procedure: query.procedure.clone(),
            from,
            to,
            words,
            found: matches.as_ref().map(|m| m.ids.clone()),
        };
        let (rows, total) = match &matches {
            Some(found) if ranked => found.page_rows(
                &repo::matching_ids(conn, &filter)?,
                paging,
                |ids| repo::public_rows(conn, ids),
                |r| r.id,
            )?,
            _ => repo::list(conn, &filter, sort, paging.offset(), paging.limit())?,
        };
        Ok((to_questions(conn, rows, staff)?, total, matches.map(|m| m.at)))
    })
    .await?;
    let mut res = list_response(&req, fields.apply(items), total, paging);
    search::mark_drawn_from_index(&mut res, at);
    Ok(res)
}

/// One question and its answer, by id or slug. The public sees published ones only (and each
/// public read counts as a view); moderators see every status.
#[utoipa::path(
    tag = "questions",
    params(("key" = String, Path, description = "The question's id or slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The question", body = Question),
        (status = 401, description = "An invalid token"),
        (status = 404, description = "No such question, or one not published"),
    )
)]
#[get("/questions/{key}")]
pub async fn get_question(
    state: web::Data<AppState>,
    user: MaybeUser,
    key: web::Path<String>,
) -> Result<web::Json<Question>, ApiError> {
    let (user, key) = (user.0, key.into_inner());
    let staff = is_staff(&user);
    let own_site = user.as_ref().and_then(|u| u.site_id);
    let question = db::run(&state.db, move |conn| {
        let row = repo::find_by_key(conn, &key)?
            .filter(|r| r.status() == QuestionStatus::Published || (staff && own_site.is_none_or(|s| s == r.site_id)))
            .ok_or_else(|| ApiError::not_found("question"))?;
        if !staff && row.status() == QuestionStatus::Published {
            repo::count_view(conn, row.id)?;
        }
        to_questions(conn, vec![row], staff)?.pop().ok_or_else(|| ApiError::not_found("question"))
    })
    .await?;
    Ok(web::Json(question))
}

/// Of these questions, the published ones as the public sees them (the change feed's payloads).
pub fn public_by_ids(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, serde_json::Value>, ApiError> {
    let rows = repo::public_rows(conn, ids)?;
    to_questions(conn, rows, false)?
        .into_iter()
        .map(|q| Ok((q.id, serde_json::to_value(&q).map_err(ApiError::internal)?)))
        .collect()
}

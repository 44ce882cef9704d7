//! Submitting feedback (public, rate-limited, idempotent) and following it with a tracking code.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Duration;

use super::model::*;
use super::repo;
use super::views::parse_kind;
use crate::citizen::{check_text, new_secret, sha256_hex};
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::http::ApiJson;
use crate::limits::RateLimited;
use crate::state::AppState;

/// How long an identical submission is answered with the first one's receipt.
const DUPLICATE_WINDOW_MINUTES: i64 = 10;

fn new_tracking_code() -> String {
    crate::citizen::new_tracking_code("GY")
}

fn receipt(row: &FeedbackRow, secret: String) -> Receipt {
    Receipt {
        tracking_code: row.tracking_code.clone(),
        secret,
        status: row.status(),
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

/// What makes two submissions the same one: site, topic, kind, the text (whitespace aside) and the
/// contact (by its blind index, so no personal data is hashed in the clear).
fn fingerprint(site_id: i64, topic_id: i64, input: &SubmitFeedback, contact_index: Option<&str>) -> String {
    let normalise = crate::citizen::normalise;
    sha256_hex(&format!(
        "{site_id}|{topic_id}|{}|{}|{}|{}",
        input.kind.as_str(),
        normalise(&input.title),
        normalise(&input.content),
        contact_index.unwrap_or("")
    ))
}

/// What is wrong with the site and topic a submission names, as field errors.
fn unknown_site_or_topic(
    c: &mut crate::db::DbConn,
    site: Option<&str>,
    topic: &str,
    consent_version: &str,
) -> Vec<FieldError> {
    let site_id = match crate::citizen::submission_site(c, site) {
        Ok(id) => id,
        Err(ApiError::Validation(errors)) => return errors,
        Err(_) => return vec![],
    };
    let mut errors = match repo::topic_by_code(c, site_id, topic) {
        Ok(Some(found)) if found.active => vec![],
        Ok(_) => vec![FieldError::new("topic", "not_found", "no open topic has this code")],
        Err(_) => vec![],
    };
    errors.extend(crate::privacy::outdated_consent(c, site_id, consent_version));
    errors
}

/// Send feedback: a comment, proposal or complaint, from a person or an organisation.
///
/// Public and rate-limited. The answer carries a tracking code and a secret to follow the
/// submission. A retry with the same `Idempotency-Key` answers the first receipt again instead of
/// storing a copy; the same submission again within minutes without it is a 409 that gives out
/// nothing of the first. The submission is stored durably before the 201.
#[utoipa::path(
    tag = "feedback",
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string: a retry with the same key answers the first receipt")),
    request_body = SubmitFeedback,
    responses(
        (status = 201, description = "Received; `Location` is the tracking URL", body = Receipt,
            headers(("Location" = String, description = "The tracking URL"))),
        (status = 409, description = "The `Idempotency-Key` was used for a different submission, or the same submission came again without one"),
        (status = 429, description = "Too many submissions from this address; see `Retry-After`"),
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
    let (phone, email) = match validate(&input) {
        Ok(contacts) => contacts,
        // One answer with everything at fault: the site and topic too, which take a read.
        Err(ApiError::Validation(mut errors)) => {
            let (site, topic) = (input.site.clone(), input.topic.trim().to_owned());
            let version = input.consent_notice_version.clone();
            let more = db::run(&state.db, move |c| Ok(unknown_site_or_topic(c, site.as_deref(), &topic, &version)));
            errors.extend(more.await?);
            return Err(ApiError::Validation(errors));
        }
        Err(other) => return Err(other),
    };
    let idempotency_key = crate::citizen::idempotency_key(req);
    let state2 = state.clone();
    db::run_write(&state.db, move |c| {
        let vault = &state2.vault;
        let site_id = crate::citizen::submission_site(c, input.site.as_deref())?;
        let topic = repo::topic_by_code(c, site_id, input.topic.trim())?
            .filter(|t| t.active)
            .ok_or_else(|| ApiError::invalid("topic", "not_found", "no open topic has this code"))?;
        if let Some(outdated) = crate::privacy::check_consent_version(c, site_id, &input.consent_notice_version)? {
            return Err(ApiError::Validation(vec![outdated]));
        }
        let contact_index = email.as_deref().or(phone.as_deref()).map(|c| vault.blind_index(c));
        let fingerprint = fingerprint(site_id, topic.id, &input, contact_index.as_deref());
        let replay = |row: FeedbackRow| -> Result<Receipt, ApiError> {
            let secret = row.secret_sealed.as_deref().and_then(|s| vault.open(s).ok()).unwrap_or_default();
            Ok(receipt(&row, secret))
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
        let new = repo::NewFeedback {
            site_id,
            tracking_code: &code,
            secret_hash: sha256_hex(&secret),
            secret_sealed: vault.seal(&secret),
            kind: input.kind,
            topic_id: topic.id,
            subject_type: input.subject.as_ref().map(|s| s.subject_type.as_str()),
            subject_ref: input.subject.as_ref().map(|s| s.reference.trim().to_owned()),
            title: input.title.trim(),
            content: input.content.trim(),
            search_text: format!("{} {}", fold(&input.title), fold(&input.content)),
            submitter_type: match input.submitter.submitter_type {
                SubmitterType::Person => "person",
                SubmitterType::Organization => "organization",
            },
            submitter_name: vault.seal(input.submitter.name.trim()),
            submitter_phone: vault.seal_opt(phone.as_deref()),
            submitter_email: vault.seal_opt(email.as_deref()),
            submitter_address: vault
                .seal_opt(input.submitter.address.as_deref().map(str::trim).filter(|a| !a.is_empty())),
            contact_index: contact_index.clone(),
            consent_version: input.consent_notice_version.trim(),
            idempotency_key: idempotency_key.clone(),
            fingerprint: &fingerprint,
            now,
        };
        // With an Idempotency-Key, in a savepoint: a concurrent retry with the same key may win the
        // race, and then this one answers its receipt.
        let inserted =
            if idempotency_key.is_some() { repo::insert_in_savepoint(c, &new) } else { repo::insert(c, &new) };
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
        Ok(Receipt {
            track_url: format!("/api/v1/feedback/track/{code}"),
            tracking_code: code,
            secret,
            status: FeedbackStatus::Received,
            created_at: now.and_utc(),
        })
    })
    .await
}

fn public_steps(conn: &mut DbConn, id: i64) -> Result<Vec<PublicStep>, ApiError> {
    Ok(repo::trail(conn, id)?
        .into_iter()
        .filter_map(|t| {
            let at = t.at.and_utc();
            t.to_status.and_then(|s| FeedbackStatus::parse(&s)).map(|status| PublicStep { status, at })
        })
        .collect())
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
        (status = 404, description = "No submission with this code and secret"),
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
            status: row.status(),
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

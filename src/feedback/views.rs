//! What the feedback endpoints share: a submission loaded for a staff write, and the shapes a row
//! is served in (summary, detail with personal data and trail).

use super::model::*;
use super::repo;
use crate::auth::AuthUser;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::sites;
use crate::sites::model::SiteRef;
use crate::users::model::UserRef;

pub fn parse_kind(kind: &str) -> FeedbackKind {
    match kind {
        "comment" => FeedbackKind::Comment,
        "proposal" => FeedbackKind::Proposal,
        "complaint" => FeedbackKind::Complaint,
        _ => FeedbackKind::Other,
    }
}

pub fn subject_of(row: &FeedbackRow) -> Option<Subject> {
    let subject_type = SubjectType::parse(row.subject_type.as_deref()?)?;
    Some(Subject { subject_type, reference: row.subject_ref.clone().unwrap_or_default() })
}

pub fn summaries(conn: &mut DbConn, rows: Vec<FeedbackRow>) -> Result<Vec<FeedbackSummary>, ApiError> {
    let topics = repo::topic_refs(conn, rows.iter().map(|r| r.topic_id).collect())?;
    let sites = sites::refs_by_id(conn, rows.iter().map(|r| r.site_id).collect())?;
    let assignees = crate::users::display_names(conn, rows.iter().filter_map(|r| r.assignee_id).collect())?;
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
            status: r.status(),
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

/// Loads a submission for a staff write, locked for the rest of the transaction.
pub fn managed(conn: &mut DbConn, user: &AuthUser, id: i64) -> Result<FeedbackRow, ApiError> {
    let row = repo::find_for_write(conn, id)?.ok_or_else(|| ApiError::not_found("feedback"))?;
    if !user.covers_site(Some(row.site_id)) {
        return Err(ApiError::not_found("feedback"));
    }
    Ok(row)
}

pub fn detail(conn: &mut DbConn, vault: &crate::crypto::Vault, row: FeedbackRow) -> Result<FeedbackDetail, ApiError> {
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
    let trail = repo::trail(conn, row.id)?;
    let names = crate::users::display_names(conn, trail.iter().filter_map(|t| t.actor_id).collect())?;
    let trail = trail
        .into_iter()
        .map(|t| TrailEntry {
            action: t.action,
            from_status: t.from_status.and_then(|s| FeedbackStatus::parse(&s)),
            to_status: t.to_status.and_then(|s| FeedbackStatus::parse(&s)),
            note: t.note,
            actor: t.actor_id.map(|id| UserRef { id, display_name: names.get(&id).cloned().unwrap_or_default() }),
            at: t.at.and_utc(),
        })
        .collect();
    let (content, consent_notice_version, consent_at) =
        (row.content.clone(), row.consent_version.clone(), row.consent_at.and_utc());
    let summary = summaries(conn, vec![row])?.pop().ok_or_else(|| ApiError::internal("summary vanished"))?;
    Ok(FeedbackDetail { summary, content, submitter, consent_notice_version, consent_at, trail })
}

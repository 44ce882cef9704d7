//! Feedback rows, their public and staff shapes, and validation of what citizens send.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{feedback, feedback_topics};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = feedback_topics)]
pub struct TopicRow {
    pub id: i64,
    pub site_id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub position: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = feedback)]
pub struct FeedbackRow {
    pub id: i64,
    pub site_id: i64,
    pub tracking_code: String,
    pub secret_hash: String,
    pub secret_sealed: Option<String>,
    pub kind: String,
    pub topic_id: i64,
    pub subject_type: Option<String>,
    pub subject_ref: Option<String>,
    pub title: String,
    pub content: String,
    pub search_text: String,
    pub submitter_type: String,
    pub submitter_name: Option<String>,
    pub submitter_phone: Option<String>,
    pub submitter_email: Option<String>,
    pub submitter_address: Option<String>,
    pub contact_index: Option<String>,
    pub consent_version: String,
    pub consent_at: NaiveDateTime,
    pub status: String,
    pub forwarded_to: Option<String>,
    pub assignee_id: Option<i64>,
    pub public_reply: Option<String>,
    pub replied_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub idempotency_key: Option<String>,
    pub fingerprint: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub personal_data_erased_at: Option<NaiveDateTime>,
}

/// A subject of feedback a ward manages (an Open311 service).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Topic {
    pub id: i64,
    /// Stable code, also the Open311 `service_code`.
    #[schema(example = "moi-truong")]
    pub code: String,
    #[schema(example = "Môi trường, vệ sinh đô thị")]
    pub name: String,
    pub description: String,
    /// Inactive topics take no new feedback.
    pub active: bool,
    pub position: i32,
    pub site: crate::sites::model::SiteRef,
}

/// What kind of feedback it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    Comment,
    Proposal,
    Complaint,
    Other,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Comment => "comment",
            Self::Proposal => "proposal",
            Self::Complaint => "complaint",
            Self::Other => "other",
        }
    }
}

impl FeedbackRow {
    /// The status, typed; a value the database should never hold reads as received.
    pub fn status(&self) -> FeedbackStatus {
        FeedbackStatus::parse(&self.status).unwrap_or(FeedbackStatus::Received)
    }
}

/// Where a submission is in its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStatus {
    Received,
    InProgress,
    Answered,
    Rejected,
    /// Sent on to another body (`forwarded_to`).
    Forwarded,
}

impl FeedbackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::InProgress => "in_progress",
            Self::Answered => "answered",
            Self::Rejected => "rejected",
            Self::Forwarded => "forwarded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "received" => Some(Self::Received),
            "in_progress" => Some(Self::InProgress),
            "answered" => Some(Self::Answered),
            "rejected" => Some(Self::Rejected),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, Self::Answered | Self::Rejected | Self::Forwarded)
    }

    /// The status a workflow step leads to from this one (`None`: the step leaves the status as it
    /// is), or, when the step is not allowed from here, the statuses it is allowed from.
    /// Publishing is allowed from a closed status; unpublishing and notes from any.
    pub fn apply(self, step: Step) -> Result<Option<FeedbackStatus>, &'static [FeedbackStatus]> {
        const OPEN: &[FeedbackStatus] = &[FeedbackStatus::Received, FeedbackStatus::InProgress];
        const CLOSED: &[FeedbackStatus] =
            &[FeedbackStatus::Answered, FeedbackStatus::Rejected, FeedbackStatus::Forwarded];
        let (allowed, to): (&'static [FeedbackStatus], Option<FeedbackStatus>) = match step {
            Step::Start => (&[Self::Received], Some(Self::InProgress)),
            Step::Answer => (OPEN, Some(Self::Answered)),
            Step::Reject => (OPEN, Some(Self::Rejected)),
            Step::Forward => (OPEN, Some(Self::Forwarded)),
            Step::Publish => (CLOSED, None),
            Step::Unpublish | Step::Note => return Ok(None),
        };
        if allowed.contains(&self) { Ok(to) } else { Err(allowed) }
    }
}

/// A step of the staff workflow on a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Start,
    Answer,
    Reject,
    Forward,
    Publish,
    Unpublish,
    Note,
}

impl Step {
    /// The name the trail records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Answer => "answer",
            Self::Reject => "reject",
            Self::Forward => "forward",
            Self::Publish => "publish",
            Self::Unpublish => "unpublish",
            Self::Note => "note",
        }
    }
}

/// What the feedback is about, besides its topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// `article`, `procedure` or `consultation` (a draft document opened for comment).
    #[serde(rename = "type")]
    pub subject_type: SubjectType,
    /// The article's slug or id, the procedure's code, or the consultation's reference.
    #[schema(example = "1.001108")]
    pub reference: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Article,
    Procedure,
    Consultation,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Procedure => "procedure",
            Self::Consultation => "consultation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "article" => Some(Self::Article),
            "procedure" => Some(Self::Procedure),
            "consultation" => Some(Self::Consultation),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmitterType {
    Person,
    Organization,
}

/// Who sends feedback. Personal data: encrypted at rest, shown to staff only, never public.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submitter {
    #[serde(rename = "type")]
    pub submitter_type: SubmitterType,
    /// A person's or organisation's name, 1 to 200 characters.
    pub name: String,
    /// A Vietnamese phone number (`0912345678`, `+84 912 345 678`); phone or email is required.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// A citizen's feedback.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "kind": "proposal", "topic": "moi-truong", "title": "Đề nghị đặt thêm thùng rác ở ngõ 15",
    "content": "Đầu ngõ 15 đường Hòa Bình thường xuyên có rác tập kết sai giờ. Đề nghị phường bố trí thêm thùng rác.",
    "submitter": {"type": "person", "name": "Nguyễn Văn Bình", "phone": "0912345678"},
    "consent": true, "consent_notice_version": "2026-01"
}))]
#[serde(deny_unknown_fields)]
pub struct SubmitFeedback {
    pub kind: FeedbackKind,
    /// The topic's code (see `GET /api/v1/feedback/topics`).
    pub topic: String,
    pub subject: Option<Subject>,
    /// 1 to 200 characters.
    pub title: String,
    /// 1 to 10,000 characters, not only whitespace.
    pub content: String,
    pub submitter: Submitter,
    /// Must be true: the submitter agrees to the processing of their personal data.
    pub consent: bool,
    /// The version of the privacy notice the consent was given for.
    #[schema(example = "2026-01")]
    pub consent_notice_version: String,
    /// The site; the deployment's only site when absent.
    pub site: Option<String>,
    /// Leave empty: a field that people never see and robots fill.
    #[serde(default)]
    pub website: Option<String>,
}

/// The answer to a submission: keep the code and the secret to follow it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "tracking_code": "GY-7K3M-Q9TX", "secret": "t0p-s3cr3t-5h0wn-0nc3", "status": "received",
    "created_at": "2026-11-29T01:00:00Z", "track_url": "/api/v1/feedback/track/GY-7K3M-Q9TX"
}))]
pub struct Receipt {
    #[schema(example = "GY-7K3M-Q9TX")]
    pub tracking_code: String,
    /// Shown once (and again for a retry with the same `Idempotency-Key`): send it as `X-Tracking-Secret`
    /// to `GET /api/v1/feedback/track/{tracking_code}`.
    pub secret: String,
    pub status: FeedbackStatus,
    pub created_at: DateTime<Utc>,
    pub track_url: String,
}

/// One step of a submission's handling, as its submitter and the public see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublicStep {
    pub status: FeedbackStatus,
    pub at: DateTime<Utc>,
}

/// A submission as its submitter sees it with the secret: no personal data, no internal notes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackedFeedback {
    pub tracking_code: String,
    pub kind: FeedbackKind,
    pub topic: TopicRef,
    pub title: String,
    pub content: String,
    pub status: FeedbackStatus,
    pub forwarded_to: Option<String>,
    pub public_reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub history: Vec<PublicStep>,
}

/// A published submission and its reply: what anyone can read. Never personal data.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "tracking_code": "GY-7K3M-Q9TX", "kind": "complaint", "topic": {"id": 1, "code": "moi-truong", "name": "Môi trường"},
    "subject": null, "title": "Rác thải tập kết sai giờ ở đầu ngõ",
    "content": "Rác thải tập kết sai giờ ở đầu ngõ gây mất vệ sinh, đề nghị phường kiểm tra.", "status": "answered",
    "public_reply": "Phường đã làm việc với đơn vị thu gom; rác được thu đúng giờ từ ngày 2/12.",
    "created_at": "2026-11-29T01:00:00Z", "replied_at": "2026-12-01T03:00:00Z", "published_at": "2026-12-01T03:10:00Z"
}))]
pub struct PublishedFeedback {
    pub tracking_code: String,
    pub kind: FeedbackKind,
    pub topic: TopicRef,
    pub subject: Option<Subject>,
    pub title: String,
    pub content: String,
    pub status: FeedbackStatus,
    pub public_reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TopicRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// The submitter as staff see it (decrypted; each read is logged).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubmitterView {
    #[serde(rename = "type")]
    pub submitter_type: SubmitterType,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// When the personal data was erased, if it was.
    pub erased_at: Option<DateTime<Utc>>,
}

/// One entry of the internal trail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrailEntry {
    pub action: String,
    pub from_status: Option<FeedbackStatus>,
    pub to_status: Option<FeedbackStatus>,
    /// Internal note; never shown to the public.
    pub note: Option<String>,
    pub actor: Option<crate::users::model::UserRef>,
    pub at: DateTime<Utc>,
}

/// A submission as staff see it in lists: no personal data.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedbackSummary {
    pub id: i64,
    pub tracking_code: String,
    pub site: crate::sites::model::SiteRef,
    pub kind: FeedbackKind,
    pub topic: TopicRef,
    pub subject: Option<Subject>,
    pub title: String,
    pub status: FeedbackStatus,
    pub forwarded_to: Option<String>,
    pub assignee: Option<crate::users::model::UserRef>,
    pub public_reply: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A submission with its submitter's data and trail, for staff.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedbackDetail {
    #[serde(flatten)]
    pub summary: FeedbackSummary,
    pub content: String,
    pub submitter: SubmitterView,
    pub consent_notice_version: String,
    pub consent_at: DateTime<Utc>,
    pub trail: Vec<TrailEntry>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StaffListQuery {
    /// Only these sites, by code (repeatable: `site=a&site=b`).
    #[serde(default)]
    pub site: Vec<String>,
    /// Only submissions in this status.
    pub status: Option<FeedbackStatus>,
    /// Only this kind of submission.
    pub kind: Option<FeedbackKind>,
    /// A topic's code.
    pub topic: Option<String>,
    /// Received at or after (RFC 3339 or a date).
    pub from: Option<String>,
    /// Received at or before (RFC 3339 or a date).
    pub to: Option<String>,
    /// An assignee's user id, or `none`.
    pub assignee: Option<String>,
    /// Words in the title or content (case and diacritics ignored).
    pub q: Option<String>,
    /// Page number, from 1 (offset paging).
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublishedListQuery {
    /// Only these sites, by code (repeatable: `site=a&site=b`).
    #[serde(default)]
    pub site: Vec<String>,
    /// A topic's code.
    pub topic: Option<String>,
    /// Only this kind of submission.
    pub kind: Option<FeedbackKind>,
    /// Words in the title, content or reply (case and diacritics ignored).
    pub q: Option<String>,
    /// Page number, from 1 (offset paging).
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `title,status`; `tracking_code` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

/// A staff step: an internal note, and for some steps a public text.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// Internal note for the trail.
    pub note: Option<String>,
    /// For `answer`: the public reply (required). For `reject`: the reason, public.
    pub reply: Option<String>,
    /// For `forward`: the body it is sent to (required).
    pub forwarded_to: Option<String>,
}

/// An assignment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// A moderator's or admin's user id; null to unassign.
    pub assignee_id: Option<i64>,
}

/// A new topic.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTopic {
    /// Lowercase letters, digits and hyphens; unique in the site.
    pub code: String,
    pub name: String,
    /// What the topic covers, at most 2,000 characters.
    pub description: Option<String>,
    pub position: Option<i32>,
    pub site_id: Option<i64>,
}

/// Changes to a topic.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTopic {
    pub name: Option<String>,
    /// What the topic covers, at most 2,000 characters.
    pub description: Option<String>,
    pub active: Option<bool>,
    pub position: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::{FeedbackStatus as S, Step};

    #[test]
    fn workflow_steps_lead_where_the_lifecycle_says() {
        assert_eq!(S::Received.apply(Step::Start), Ok(Some(S::InProgress)));
        assert!(S::InProgress.apply(Step::Start).is_err());
        for from in [S::Received, S::InProgress] {
            assert_eq!(from.apply(Step::Answer), Ok(Some(S::Answered)));
            assert_eq!(from.apply(Step::Reject), Ok(Some(S::Rejected)));
            assert_eq!(from.apply(Step::Forward), Ok(Some(S::Forwarded)));
            assert!(from.apply(Step::Publish).is_err());
        }
        for closed in [S::Answered, S::Rejected, S::Forwarded] {
            assert_eq!(closed.apply(Step::Publish), Ok(None));
            assert_eq!(closed.apply(Step::Answer), Err(&[S::Received, S::InProgress][..]));
        }
        for any in [S::Received, S::InProgress, S::Answered, S::Rejected, S::Forwarded] {
            assert_eq!(any.apply(Step::Note), Ok(None));
            assert_eq!(any.apply(Step::Unpublish), Ok(None));
        }
    }
}

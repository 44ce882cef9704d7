//! Question rows, their public and staff shapes, and requests.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::questions;
pub use crate::fields::model::Field;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = questions)]
pub struct QuestionRow {
    pub id: i64,
    pub site_id: i64,
    pub tracking_code: String,
    pub secret_hash: String,
    pub secret_sealed: Option<String>,
    pub field_id: i64,
    pub procedure_code: Option<String>,
    pub title: String,
    pub question: String,
    pub original_title: String,
    pub original_question: String,
    pub asker_name: Option<String>,
    pub asker_phone: Option<String>,
    pub asker_email: Option<String>,
    pub contact_index: Option<String>,
    pub consent_version: String,
    pub consent_at: NaiveDateTime,
    pub status: String,
    pub rejection_reason: Option<String>,
    pub answer: Option<String>,
    pub answering_unit: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub featured: bool,
    pub view_count: i64,
    pub slug: Option<String>,
    pub search_text: String,
    pub idempotency_key: Option<String>,
    pub fingerprint: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl QuestionRow {
    /// The status, typed; a value the database should never hold reads as pending.
    pub fn status(&self) -> QuestionStatus {
        QuestionStatus::parse(&self.status).unwrap_or(QuestionStatus::Pending)
    }
}

/// Where a question is: `pending` -> `answered` -> `published`, or `rejected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStatus {
    Pending,
    Answered,
    Published,
    Rejected,
}

impl QuestionStatus {
    /// Whether an answer may be given (or corrected) in this status.
    pub fn may_take_answer(self) -> bool {
        self != Self::Rejected
    }

    /// The status after an answer is given: a published question stays published.
    pub fn after_answer(self) -> Self {
        if self == Self::Published { Self::Published } else { Self::Answered }
    }

    /// Whether the question may be rejected from this status.
    pub fn may_be_rejected(self) -> bool {
        matches!(self, Self::Pending | Self::Answered)
    }

    /// Whether the public sees a question's answer in this status.
    pub fn shows_answer(self) -> bool {
        matches!(self, Self::Answered | Self::Published)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Answered => "answered",
            Self::Published => "published",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "answered" => Some(Self::Answered),
            "published" => Some(Self::Published),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// The asker: personal data, encrypted, for staff only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Asker {
    pub name: String,
    /// A Vietnamese phone number; phone or email is required.
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A citizen's question.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "title": "Làm giấy khai sinh cho con cần giấy tờ gì?",
    "question": "Cho em hỏi làm giấy khai sinh cho con thì cần mang những giấy tờ gì, làm ở phường được không ạ?",
    "field": "ho-tich", "procedure_code": "1.001193",
    "asker": {"name": "Trần Thị Lan", "email": "lan.tran@example.vn"},
    "consent": true, "consent_notice_version": "2026-01"
}))]
#[serde(deny_unknown_fields)]
pub struct AskQuestion {
    /// 1 to 200 characters.
    pub title: String,
    /// 1 to 5,000 characters.
    pub question: String,
    /// A field's code (see `GET /api/v1/fields`).
    pub field: String,
    /// The national code of the procedure it is about, if any.
    pub procedure_code: Option<String>,
    pub asker: Asker,
    /// Must be true.
    pub consent: bool,
    pub consent_notice_version: String,
    /// The site, by code; the deployment's only site when absent.
    pub site: Option<String>,
    /// Leave empty.
    #[serde(default)]
    pub website: Option<String>,
}

/// The answer to a question sent: keep the code and the secret to follow it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuestionReceipt {
    pub tracking_code: String,
    /// Send it as `X-Tracking-Secret` to `GET /api/v1/questions/track/{tracking_code}`.
    pub secret: String,
    pub status: QuestionStatus,
    pub created_at: DateTime<Utc>,
    pub track_url: String,
}

/// A question and its answer. The public sees published ones only, and never the asker.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 15, "site": {"id": 1, "code": "phuong-ben-thanh", "name": "Phường Bến Thành"},
    "field": {"id": 2, "code": "ho-tich", "name": "Hộ tịch"}, "title": "Đăng ký khai sinh cho con ở đâu?",
    "question": "Tôi thường trú ở phường nhưng sinh con ở tỉnh khác, đăng ký khai sinh ở đâu?",
    "answer": "<p>Anh/chị đăng ký khai sinh tại UBND cấp xã nơi cư trú của cha hoặc mẹ.</p>",
    "answering_unit": "Bộ phận Tư pháp - Hộ tịch", "procedure_code": "1.001193", "status": "published",
    "slug": "dang-ky-khai-sinh-cho-con-o-dau-15", "featured": true, "created_at": "2026-11-20T01:00:00Z",
    "answered_at": "2026-11-21T02:00:00Z", "published_at": "2026-11-21T02:05:00Z"
}))]
pub struct Question {
    pub id: i64,
    /// Set when published; the question's address with its id.
    pub slug: Option<String>,
    pub site: crate::sites::model::SiteRef,
    pub field: Field,
    pub procedure_code: Option<String>,
    pub title: String,
    pub question: String,
    pub status: QuestionStatus,
    /// Sanitised HTML.
    pub answer: Option<String>,
    pub answering_unit: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub featured: bool,
    pub created_at: DateTime<Utc>,
    /// Staff only: the wording as asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<OriginalWording>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_code: Option<String>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_count: Option<i64>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
}

/// The question as the citizen wrote it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OriginalWording {
    pub title: String,
    pub question: String,
}

/// A question as its asker follows it with the secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackedQuestion {
    pub tracking_code: String,
    pub title: String,
    pub question: String,
    pub status: QuestionStatus,
    pub answer: Option<String>,
    pub answering_unit: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The asker's personal data, for staff (each read logged).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AskerView {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub consent_notice_version: String,
    pub consent_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuestionListQuery {
    /// Only these sites, by code (repeatable: `site=a&site=b`).
    #[serde(default)]
    pub site: Vec<String>,
    /// A field's code.
    pub field: Option<String>,
    /// A procedure's code.
    pub procedure: Option<String>,
    /// Words in the title, the question or the answer (case and diacritics ignored; for the
    /// public through the search engine: the last word as a prefix, a typo forgiven).
    pub q: Option<String>,
    /// Published (asked, for staff) at or after: RFC 3339 or a date.
    pub from: Option<String>,
    /// Published (asked, for staff) at or before: RFC 3339 or a date.
    pub to: Option<String>,
    /// Staff only: `pending`, `answered`, `published` or `rejected`.
    pub status: Option<String>,
    /// `-published_at` (default; with `q`, the best matches first), `published_at`, `-view_count`,
    /// or `featured` (featured first, then the most viewed: "frequently asked").
    pub sort: Option<String>,
    /// Page number, from 1 (offset paging).
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

/// Staff corrections of a question's public wording and classification.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateQuestion {
    pub title: Option<String>,
    pub question: Option<String>,
    /// A field's code.
    pub field: Option<String>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub procedure_code: Option<Option<String>>,
    pub featured: Option<bool>,
}

/// An answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerQuestion {
    /// HTML, sanitised on write.
    pub answer: String,
    /// The unit that answers (`Công chức Tư pháp - Hộ tịch phường`).
    pub answering_unit: String,
    /// When the answer was given; now when absent.
    pub answered_at: Option<DateTime<Utc>>,
}

/// A rejection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectQuestion {
    /// Shown to the asker.
    pub reason: String,
}

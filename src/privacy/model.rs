//! Privacy notices as stored and as the API shows them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::privacy_notices;
use crate::error::FieldError;
use crate::sites::model::SiteRef;

/// The notice a site has until it publishes its own.
pub const DEFAULT_VERSION: &str = "2026-01";
pub const DEFAULT_TITLE: &str = "Thông báo về xử lý dữ liệu cá nhân";
pub const DEFAULT_BODY: &str = "Ủy ban nhân dân xử lý họ tên, số điện thoại, địa chỉ thư điện tử và địa chỉ \
nơi ở mà người gửi cung cấp, chỉ để tiếp nhận, giải quyết và trả lời góp ý, phản ánh, câu hỏi của người gửi. \
Dữ liệu được mã hóa khi lưu trữ, chỉ cán bộ được giao xử lý mới được xem, mọi lần xem đều được ghi lại, và không \
bao giờ được công khai. Người gửi có quyền xem, yêu cầu xóa dữ liệu của mình hoặc rút lại sự đồng ý bằng cách liên \
hệ bộ phận một cửa. Dữ liệu cá nhân được xóa sau khi hết thời hạn lưu trữ theo quy định.";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = privacy_notices)]
pub struct NoticeRow {
    pub id: i64,
    pub site_id: i64,
    pub version: String,
    pub title: String,
    pub body: String,
    pub published_at: NaiveDateTime,
    pub created_by: Option<i64>,
}

/// A version of a site's privacy notice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrivacyNotice {
    pub site: SiteRef,
    /// What a submission's `consent_notice_version` names.
    #[schema(example = "2026-01")]
    pub version: String,
    pub title: String,
    /// Plain text; paragraphs are separated by blank lines.
    pub body: String,
    /// When it took effect; null for the built-in notice of a site that has published none.
    pub published_at: Option<DateTime<Utc>>,
    /// Whether submissions must name this version now.
    pub current: bool,
}

/// A new version of a site's notice, which takes effect at once.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "version": "2026-02", "title": "Thông báo về xử lý dữ liệu cá nhân (sửa đổi)",
    "body": "Ủy ban nhân dân phường xử lý dữ liệu cá nhân của người gửi để giải quyết góp ý, phản ánh."
}))]
#[serde(deny_unknown_fields)]
pub struct NewPrivacyNotice {
    /// The site, by code; the user's own site, or the deployment's only one, when absent.
    pub site: Option<String>,
    /// 1 to 50 letters, digits, dots and hyphens (`2026-02`); new for the site.
    #[schema(example = "2026-02")]
    pub version: String,
    /// 1 to 200 characters.
    pub title: String,
    /// Plain text, 1 to 50,000 characters.
    pub body: String,
}

impl NewPrivacyNotice {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = vec![];
        let version = self.version.trim();
        if version.is_empty() || version.len() > 50 {
            errors.push(FieldError::new("version", "invalid_length", "must be 1 to 50 characters"));
        } else if !version.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
            errors.push(FieldError::new("version", "invalid_format", "must be letters, digits, dots and hyphens"));
        }
        let title = self.title.trim().chars().count();
        if title == 0 || title > 200 {
            errors.push(FieldError::new("title", "invalid_length", "must be 1 to 200 characters"));
        }
        let body = self.body.trim().chars().count();
        if body == 0 || body > 50_000 {
            errors.push(FieldError::new("body", "invalid_length", "must be 1 to 50,000 characters"));
        }
        errors
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// The site, by code; the deployment's only site when absent.
    pub site: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoticeListQuery {
    /// The site, by code; the deployment's only site when absent.
    pub site: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `title,current`; `version` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

//! Privacy notices (thông báo xử lý dữ liệu cá nhân): what each site tells citizens about the
//! personal data their feedback and questions carry, in versions. A citizen consents to one
//! version, and a submission must name the site's current one (see [`check_consent_version`]).

mod handlers;
pub mod model;
mod repo;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{get_privacy_notice, list_privacy_notices, publish_privacy_notice};

use crate::db::DbConn;
use crate::error::FieldError;

/// The notice routes read privacy notices and sites, both with content-version triggers.
pub const SHARED_ROUTES: &[&str] = &["/api/v1/privacy-notice", "/api/v1/privacy-notice/versions"];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_privacy_notice).service(list_privacy_notices).service(publish_privacy_notice);
}

/// Whether `given` is the version of the site's current notice; the field error to answer if not.
pub fn check_consent_version(conn: &mut DbConn, site_id: i64, given: &str) -> diesel::QueryResult<Option<FieldError>> {
    let current = repo::current_version(conn, site_id)?;
    Ok((given.trim() != current).then(|| {
        FieldError::new(
            "consent_notice_version",
            "outdated",
            format!("must be the version of the current privacy notice ({current}): show it and ask again"),
        )
    }))
}

/// For an answer that names every fault at once: the outdated consent, if a version was given
/// and it is not the site's current one (a failed read names nothing; the write checks again).
pub fn outdated_consent(conn: &mut DbConn, site_id: i64, given: &str) -> Option<FieldError> {
    if given.trim().is_empty() {
        return None;
    }
    check_consent_version(conn, site_id, given).ok().flatten()
}

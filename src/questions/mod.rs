//! Questions and answers (hỏi đáp): citizens ask (public, rate-limited, the asker's data encrypted
//! and staff-only), staff correct the wording, answer, publish; the public reads published pairs.
//! Questions are never shared by the response cache: citizens write them all day, and the table
//! has no content-version triggers.

pub mod model;
mod public;
pub mod repo;
mod staff;

use utoipa_actix_web::service_config::ServiceConfig;

pub use public::*;
pub use staff::*;

/// The public ones among some ids, as rows (what search indexes).
pub use repo::public_rows;
/// A site's pages for its sitemap.
pub use repo::{count_pages, pages};

/// Routes whose anonymous answers the response cache may share: the fields list alone (questions
/// themselves are written by citizens all day and have no content-version triggers).
pub const SHARED_ROUTES: &[&str] = &["/api/v1/fields"];

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(ask_question)
        .service(track_question)
        .service(list_questions)
        .service(get_question)
        .service(update_question)
        .service(question_asker)
        .service(erase_asker)
        .service(answer_question)
        .service(publish_question)
        .service(unpublish_question)
        .service(reject_question);
}

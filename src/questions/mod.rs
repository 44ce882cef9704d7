//! Questions and answers (hỏi đáp): citizens ask (public, rate-limited, the asker's data encrypted
//! and staff-only), staff correct the wording, answer, publish; the public reads published pairs.
//! Fields (lĩnh vực) are the list procedures use too.

mod handlers;
pub mod model;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_fields)
        .service(ask_question)
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

//! Citizens' feedback (góp ý): public submission with a tracking code, the staff workflow with an
//! internal trail, a separate publishing step, personal data encrypted at rest and shown to staff
//! only (every access logged, erasable), and the same data as Open311 GeoReport v2.

pub mod model;
pub mod open311;
mod open311_xml;
mod personal_data;
mod published;
pub mod repo;
mod submit;
mod topics;
mod views;
mod workflow;

use utoipa_actix_web::service_config::ServiceConfig;

pub use personal_data::*;
pub use published::*;
pub use submit::*;
pub use topics::*;
pub use workflow::*;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_topics)
        .service(create_topic)
        .service(update_topic)
        .service(submit_feedback)
        .service(track_feedback)
        .service(list_published)
        .service(list_feedback)
        .service(get_feedback)
        .service(start_feedback)
        .service(answer_feedback)
        .service(reject_feedback)
        .service(forward_feedback)
        .service(publish_feedback)
        .service(unpublish_feedback)
        .service(note_feedback)
        .service(assign_feedback)
        .service(export_personal_data)
        .service(erase_personal_data)
        .service(personal_data_access_log);
}

pub fn open311_routes(cfg: &mut ServiceConfig) {
    cfg.service(open311::services)
        .service(open311::service_definition)
        .service(open311::requests)
        .service(open311::create_request)
        .service(open311::request)
        .service(open311_xml::services_as_xml)
        .service(open311_xml::service_definition_as_xml)
        .service(open311_xml::requests_as_xml)
        .service(open311_xml::create_request_as_xml)
        .service(open311_xml::request_as_xml);
}

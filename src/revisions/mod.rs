//! Revisions: every save of a site, category, article, event, procedure, question or feedback
//! topic keeps the whole content as it was, who saved it and why. The audit layer's witness
//! snapshots what each transaction changed (the change log says what) just before it commits
//! ([`record`]); here they are read, compared and restored.

#[macro_use]
mod handlers;
mod diff;
pub mod model;
mod repo;
mod spec;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Role;
use handlers::Resource;
pub use handlers::Restore;
pub use repo::{Attribution, baseline, record};

static SITES: Resource = Resource { spec: &spec::SITE, roles: &[Role::Admin] };
static CATEGORIES: Resource = Resource { spec: &spec::CATEGORY, roles: &[Role::Editor] };
static ARTICLES: Resource = Resource { spec: &spec::ARTICLE, roles: &[Role::Editor] };
static EVENTS: Resource = Resource { spec: &spec::EVENT, roles: &[Role::Editor] };
static PROCEDURES: Resource = Resource { spec: &spec::PROCEDURE, roles: &[Role::Editor] };
static QUESTIONS: Resource = Resource { spec: &spec::QUESTION, roles: &[Role::Moderator] };
static TOPICS: Resource = Resource { spec: &spec::FEEDBACK_TOPIC, roles: &[Role::Moderator] };

revision_routes!(
    sites,
    super::SITES,
    crate::sites::restore_revision,
    tag = "sites",
    key = "key",
    list = "/sites/{key}/revisions",
    one = "/sites/{key}/revisions/{revision}",
    diff = "/sites/{key}/revisions/{revision}/diff",
    restore = "/sites/{key}/revisions/{revision}/restore",
    ids = ("list_site_revisions", "get_site_revision", "diff_site_revision", "restore_site_revision")
);
revision_routes!(
    categories,
    super::CATEGORIES,
    crate::categories::restore_revision,
    tag = "categories",
    key = "key",
    list = "/categories/{key}/revisions",
    one = "/categories/{key}/revisions/{revision}",
    diff = "/categories/{key}/revisions/{revision}/diff",
    restore = "/categories/{key}/revisions/{revision}/restore",
    ids = ("list_category_revisions", "get_category_revision", "diff_category_revision", "restore_category_revision")
);
revision_routes!(
    articles,
    super::ARTICLES,
    crate::articles::restore_revision,
    tag = "articles",
    key = "key",
    list = "/articles/{key}/revisions",
    one = "/articles/{key}/revisions/{revision}",
    diff = "/articles/{key}/revisions/{revision}/diff",
    restore = "/articles/{key}/revisions/{revision}/restore",
    ids = ("list_article_revisions", "get_article_revision", "diff_article_revision", "restore_article_revision")
);
revision_routes!(
    events,
    super::EVENTS,
    crate::events::restore_revision,
    tag = "events",
    key = "id",
    list = "/events/{id}/revisions",
    one = "/events/{id}/revisions/{revision}",
    diff = "/events/{id}/revisions/{revision}/diff",
    restore = "/events/{id}/revisions/{revision}/restore",
    ids = ("list_event_revisions", "get_event_revision", "diff_event_revision", "restore_event_revision")
);
revision_routes!(
    procedures,
    super::PROCEDURES,
    crate::procedures::restore_revision,
    tag = "procedures",
    key = "key",
    list = "/procedures/{key}/revisions",
    one = "/procedures/{key}/revisions/{revision}",
    diff = "/procedures/{key}/revisions/{revision}/diff",
    restore = "/procedures/{key}/revisions/{revision}/restore",
    ids =
        ("list_procedure_revisions", "get_procedure_revision", "diff_procedure_revision", "restore_procedure_revision")
);
revision_routes!(
    questions,
    super::QUESTIONS,
    crate::questions::restore_revision,
    tag = "questions",
    key = "key",
    list = "/questions/{key}/revisions",
    one = "/questions/{key}/revisions/{revision}",
    diff = "/questions/{key}/revisions/{revision}/diff",
    restore = "/questions/{key}/revisions/{revision}/restore",
    ids = ("list_question_revisions", "get_question_revision", "diff_question_revision", "restore_question_revision")
);
revision_routes!(
    topics,
    super::TOPICS,
    crate::feedback::restore_topic_revision,
    tag = "feedback",
    key = "id",
    list = "/feedback/topics/{id}/revisions",
    one = "/feedback/topics/{id}/revisions/{revision}",
    diff = "/feedback/topics/{id}/revisions/{revision}/diff",
    restore = "/feedback/topics/{id}/revisions/{revision}/restore",
    ids = ("list_topic_revisions", "get_topic_revision", "diff_topic_revision", "restore_topic_revision")
);

pub fn routes(cfg: &mut ServiceConfig) {
    macro_rules! each {
        ($($module:ident),*) => {
            $(cfg.service($module::list)
                .service($module::one)
                .service($module::diff)
                .service($module::restore);)*
        };
    }
    each!(sites, categories, articles, events, procedures, questions, topics);
}

//! The event types a webhook endpoint subscribes to, and which one a change log entry tells of.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::changes::{ChangeRow, ResourceType};

/// What happened, as a receiver subscribes to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "article.published")]
    ArticlePublished,
    #[serde(rename = "article.updated")]
    ArticleUpdated,
    #[serde(rename = "article.unpublished")]
    ArticleUnpublished,
    #[serde(rename = "category.created")]
    CategoryCreated,
    #[serde(rename = "category.updated")]
    CategoryUpdated,
    #[serde(rename = "category.deleted")]
    CategoryDeleted,
    #[serde(rename = "event.published")]
    EventPublished,
    #[serde(rename = "event.updated")]
    EventUpdated,
    #[serde(rename = "event.cancelled")]
    EventCancelled,
    #[serde(rename = "event.unpublished")]
    EventUnpublished,
    #[serde(rename = "procedure.created")]
    ProcedureCreated,
    #[serde(rename = "procedure.updated")]
    ProcedureUpdated,
    #[serde(rename = "procedure.deleted")]
    ProcedureDeleted,
    #[serde(rename = "question.received")]
    QuestionReceived,
    #[serde(rename = "question.published")]
    QuestionPublished,
    #[serde(rename = "question.updated")]
    QuestionUpdated,
    #[serde(rename = "question.unpublished")]
    QuestionUnpublished,
    #[serde(rename = "feedback.received")]
    FeedbackReceived,
    #[serde(rename = "feedback.published")]
    FeedbackPublished,
    #[serde(rename = "feedback.updated")]
    FeedbackUpdated,
    #[serde(rename = "feedback.unpublished")]
    FeedbackUnpublished,
    #[serde(rename = "topic.created")]
    TopicCreated,
    #[serde(rename = "topic.updated")]
    TopicUpdated,
    #[serde(rename = "topic.deleted")]
    TopicDeleted,
    #[serde(rename = "site.updated")]
    SiteUpdated,
    /// Sent on request, to test an endpoint.
    #[serde(rename = "webhook.ping")]
    Ping,
}

/// How the public's view of a row moved with one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visibility {
    Appeared,
    Stayed,
    Vanished,
    Hidden,
}

impl EventType {
    pub const ALL: [EventType; 26] = [
        Self::ArticlePublished,
        Self::ArticleUpdated,
        Self::ArticleUnpublished,
        Self::CategoryCreated,
        Self::CategoryUpdated,
        Self::CategoryDeleted,
        Self::EventPublished,
        Self::EventUpdated,
        Self::EventCancelled,
        Self::EventUnpublished,
        Self::ProcedureCreated,
        Self::ProcedureUpdated,
        Self::ProcedureDeleted,
        Self::QuestionReceived,
        Self::QuestionPublished,
        Self::QuestionUpdated,
        Self::QuestionUnpublished,
        Self::FeedbackReceived,
        Self::FeedbackPublished,
        Self::FeedbackUpdated,
        Self::FeedbackUnpublished,
        Self::TopicCreated,
        Self::TopicUpdated,
        Self::TopicDeleted,
        Self::SiteUpdated,
        Self::Ping,
    ];

    /// As it is sent (`type` in the body) and subscribed to.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ArticlePublished => "article.published",
            Self::ArticleUpdated => "article.updated",
            Self::ArticleUnpublished => "article.unpublished",
            Self::CategoryCreated => "category.created",
            Self::CategoryUpdated => "category.updated",
            Self::CategoryDeleted => "category.deleted",
            Self::EventPublished => "event.published",
            Self::EventUpdated => "event.updated",
            Self::EventCancelled => "event.cancelled",
            Self::EventUnpublished => "event.unpublished",
            Self::ProcedureCreated => "procedure.created",
            Self::ProcedureUpdated => "procedure.updated",
            Self::ProcedureDeleted => "procedure.deleted",
            Self::QuestionReceived => "question.received",
            Self::QuestionPublished => "question.published",
            Self::QuestionUpdated => "question.updated",
            Self::QuestionUnpublished => "question.unpublished",
            Self::FeedbackReceived => "feedback.received",
            Self::FeedbackPublished => "feedback.published",
            Self::FeedbackUpdated => "feedback.updated",
            Self::FeedbackUnpublished => "feedback.unpublished",
            Self::TopicCreated => "topic.created",
            Self::TopicUpdated => "topic.updated",
            Self::TopicDeleted => "topic.deleted",
            Self::SiteUpdated => "site.updated",
            Self::Ping => "webhook.ping",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// What a receiver may rely on, for the list of event types.
    pub fn description(self) -> &'static str {
        match self {
            Self::ArticlePublished => "An article became public: published, or its scheduled time came.",
            Self::ArticleUpdated => "A public article changed.",
            Self::ArticleUnpublished => "A public article was unpublished, archived or deleted.",
            Self::CategoryCreated => "A category was created.",
            Self::CategoryUpdated => "A category changed (renamed, moved).",
            Self::CategoryDeleted => "A category was deleted.",
            Self::EventPublished => "A calendar event became public.",
            Self::EventUpdated => "A public calendar event changed (moved, edited).",
            Self::EventCancelled => "A public calendar event was cancelled.",
            Self::EventUnpublished => "A public calendar event was withdrawn or deleted.",
            Self::ProcedureCreated => "An administrative procedure was added (by hand or by an import).",
            Self::ProcedureUpdated => "A procedure changed (its fee, deadline, documents...).",
            Self::ProcedureDeleted => "A procedure was withdrawn.",
            Self::QuestionReceived => {
                "A citizen asked a question (no personal data: `object` is null; staff read it with a token)."
            }
            Self::QuestionPublished => "An answered question was published.",
            Self::QuestionUpdated => "A published question or its answer changed.",
            Self::QuestionUnpublished => "A published question was withdrawn.",
            Self::FeedbackReceived => {
                "A citizen submitted feedback (no personal data: `object` is null; staff read it with a token)."
            }
            Self::FeedbackPublished => "Feedback and its answer were published.",
            Self::FeedbackUpdated => "Published feedback changed.",
            Self::FeedbackUnpublished => "Published feedback was withdrawn.",
            Self::TopicCreated => "A feedback topic was added.",
            Self::TopicUpdated => "A feedback topic changed.",
            Self::TopicDeleted => "A feedback topic was retired.",
            Self::SiteUpdated => "The site's name, address or page templates changed.",
            Self::Ping => "A test, sent when an admin asks for it.",
        }
    }

    /// The event a change log entry tells of, if any: a draft saved again tells the world nothing.
    pub fn of_change(row: &ChangeRow) -> Option<(Self, ResourceType)> {
        let resource = ResourceType::parse(&row.resource)?;
        let was = row.was_public.unwrap_or(row.public && row.action != "insert");
        let is = row.is_public.unwrap_or(row.public && row.action != "delete");
        let visibility = match (was, is) {
            (false, true) => Visibility::Appeared,
            (true, true) => Visibility::Stayed,
            (true, false) => Visibility::Vanished,
            (false, false) => Visibility::Hidden,
        };
        use ResourceType as R;
        use Visibility as V;
        let event = match (resource, visibility) {
            (R::Article, V::Appeared) => Self::ArticlePublished,
            (R::Article, V::Stayed) => Self::ArticleUpdated,
            (R::Article, V::Vanished) => Self::ArticleUnpublished,
            (R::Category, V::Appeared) => Self::CategoryCreated,
            (R::Category, V::Stayed) => Self::CategoryUpdated,
            (R::Category, V::Vanished) => Self::CategoryDeleted,
            (R::Event, V::Appeared) => Self::EventPublished,
            (R::Event, V::Stayed) if row.status.as_deref() == Some("cancelled") => Self::EventCancelled,
            (R::Event, V::Stayed) => Self::EventUpdated,
            (R::Event, V::Vanished) => Self::EventUnpublished,
            (R::Procedure, V::Appeared) => Self::ProcedureCreated,
            (R::Procedure, V::Stayed) => Self::ProcedureUpdated,
            (R::Procedure, V::Vanished) => Self::ProcedureDeleted,
            (R::Question, V::Hidden) if row.action == "insert" => Self::QuestionReceived,
            (R::Question, V::Appeared) => Self::QuestionPublished,
            (R::Question, V::Stayed) => Self::QuestionUpdated,
            (R::Question, V::Vanished) => Self::QuestionUnpublished,
            (R::Feedback, V::Hidden) if row.action == "insert" => Self::FeedbackReceived,
            (R::Feedback, V::Appeared) => Self::FeedbackPublished,
            (R::Feedback, V::Stayed) => Self::FeedbackUpdated,
            (R::Feedback, V::Vanished) => Self::FeedbackUnpublished,
            (R::Topic, V::Appeared) => Self::TopicCreated,
            (R::Topic, V::Stayed) => Self::TopicUpdated,
            (R::Topic, V::Vanished) => Self::TopicDeleted,
            (R::Site, V::Stayed | V::Appeared) => Self::SiteUpdated,
            _ => return None,
        };
        Some((event, resource))
    }
}

/// An event type and what it means.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventTypeInfo {
    pub name: EventType,
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn row(resource: &str, action: &str, was: bool, is: bool, status: Option<&str>) -> ChangeRow {
        ChangeRow {
            id: 1,
            tick: 1,
            resource: resource.into(),
            resource_id: 1,
            site_id: Some(1),
            action: action.into(),
            public: was || is,
            changed_at: NaiveDateTime::default(),
            was_public: Some(was),
            is_public: Some(is),
            status: status.map(Into::into),
        }
    }

    #[test]
    fn names_follow_what_the_public_saw() {
        let event = |r: ChangeRow| EventType::of_change(&r).map(|(e, _)| e.as_str());
        assert_eq!(event(row("article", "update", false, true, Some("published"))), Some("article.published"));
        assert_eq!(event(row("article", "update", false, true, None)), Some("article.published"));
        assert_eq!(event(row("article", "update", true, true, None)), Some("article.updated"));
        assert_eq!(event(row("article", "update", true, false, Some("archived"))), Some("article.unpublished"));
        assert_eq!(event(row("article", "update", false, false, Some("draft"))), None);
        assert_eq!(event(row("event", "update", true, true, Some("cancelled"))), Some("event.cancelled"));
        assert_eq!(event(row("event", "update", true, true, None)), Some("event.updated"));
        assert_eq!(event(row("feedback", "insert", false, false, Some("new"))), Some("feedback.received"));
        assert_eq!(event(row("feedback", "update", false, false, Some("in_progress"))), None);
        assert_eq!(event(row("question", "insert", false, false, Some("pending"))), Some("question.received"));
        assert_eq!(event(row("question", "update", false, true, Some("published"))), Some("question.published"));
        assert_eq!(event(row("procedure", "update", true, true, None)), Some("procedure.updated"));
        assert_eq!(event(row("category", "delete", true, false, None)), Some("category.deleted"));
    }

    #[test]
    fn every_type_reads_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
    }
}

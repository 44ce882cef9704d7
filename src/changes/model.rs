//! The change feed's entries, cursor and query.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{OneOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::changes;
use crate::error::{ApiError, FieldError};
use crate::sites::model::SiteRef;

/// What kind of resource an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Article,
    Category,
    Event,
    Procedure,
    Question,
    Feedback,
    Topic,
    Site,
}

impl ResourceType {
    pub const ALL: [ResourceType; 8] = [
        Self::Article,
        Self::Category,
        Self::Event,
        Self::Procedure,
        Self::Question,
        Self::Feedback,
        Self::Topic,
        Self::Site,
    ];

    /// As the change log names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Category => "category",
            Self::Event => "event",
            Self::Procedure => "procedure",
            Self::Question => "question",
            Self::Feedback => "feedback",
            Self::Topic => "topic",
            Self::Site => "site",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What a client that keeps a copy does with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// The resource is public: store `data`, replacing any copy.
    Upsert,
    /// The resource is no longer public (deleted, unpublished, withdrawn): remove the copy.
    Delete,
}

/// One entry of the change feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// This entry's place in the feed: pass it as `since` to read what came after it.
    pub cursor: String,
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
    /// The resource's id, stable for its life (with `type`, it names the resource).
    pub id: i64,
    /// The site the resource belongs to (for a site, itself).
    pub site: Option<SiteRef>,
    pub action: ChangeAction,
    /// When the change was committed (for a scheduled article: when it became public).
    pub changed_at: DateTime<Utc>,
    /// The resource as its public `GET` shows it now, for an `upsert`; null for a `delete`.
    #[schema(schema_with = payload_schema)]
    pub data: Option<serde_json::Value>,
}

/// The payload schemas, one per resource type.
fn payload_schema() -> Schema {
    let names = ["Article", "Category", "Event", "Procedure", "Question", "PublishedFeedback", "Topic", "Site"];
    let mut one_of = OneOfBuilder::new().description(Some(
        "The resource as its public `GET` shows it (by `type`: Article, Category, Event, Procedure, Question, \
         PublishedFeedback, Topic, Site); null for a `delete`.",
    ));
    for name in names {
        one_of = one_of.item(RefOr::Ref(Ref::from_schema_name(name)));
    }
    one_of = one_of.item(RefOr::T(Schema::Object(
        utoipa::openapi::schema::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Null).build(),
    )));
    Schema::OneOf(one_of.build())
}

/// A page of the change feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Changes {
    pub data: Vec<Change>,
    pub meta: ChangesMeta,
}

/// Where to resume.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangesMeta {
    pub per_page: u32,
    /// Pass it as `since` on the next pull: it resumes after the last entry of this page (or where
    /// this pull started, when the page is empty). Keep it between pulls.
    pub next_cursor: String,
    /// More changes are waiting now: pull again at once.
    pub has_more: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next_cursor` (or an entry's `cursor`) of an earlier pull; from the beginning when absent.
    pub since: Option<String>,
    /// Only these sites, by code (repeatable); all sites when absent.
    #[serde(default)]
    pub site: Vec<String>,
    /// Only these types (repeatable): article, category, event, procedure, question, feedback,
    /// topic, site; all when absent.
    #[serde(default, rename = "type")]
    #[param(rename = "type")]
    pub types: Vec<ResourceType>,
    /// Entries per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
}

/// A place in the change log: the commit's tick, and the entry's id within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub tick: i64,
    pub id: i64,
}

/// How the response cache knows where the search index stood.
impl From<Position> for crate::cache::FromIndex {
    fn from(at: Position) -> Self {
        Self { tick: at.tick, id: at.id }
    }
}

impl Position {
    pub fn encode(self) -> String {
        format!("{}.{}", self.tick, self.id)
    }

    pub fn decode(cursor: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::BadRequestFields {
            detail: format!("`{cursor}` is not a cursor of the change feed."),
            errors: vec![FieldError::new("since", "invalid_value", "is not a cursor of the change feed")],
        };
        let (tick, id) = cursor.split_once('.').ok_or_else(invalid)?;
        let tick = tick.parse::<i64>().ok().filter(|t| *t >= 0).ok_or_else(invalid)?;
        let id = id.parse::<i64>().ok().filter(|i| *i >= 0).ok_or_else(invalid)?;
        Ok(Self { tick, id })
    }
}

/// An entry of the change log, as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = changes)]
pub struct ChangeRow {
    pub id: i64,
    pub tick: i64,
    pub resource: String,
    pub resource_id: i64,
    pub site_id: Option<i64>,
    pub action: String,
    pub public: bool,
    pub changed_at: NaiveDateTime,
    /// Whether the public could see the row before the change (NULL in entries older than webhooks).
    pub was_public: Option<bool>,
    /// Whether the public can see the row after the change.
    pub is_public: Option<bool>,
    /// The status the row entered, when the change moved it.
    pub status: Option<String>,
}

impl ChangeRow {
    pub fn position(&self) -> Position {
        Position { tick: self.tick, id: self.id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_nothing_else_is_one() {
        let at = Position { tick: 42, id: 7 };
        assert_eq!(Position::decode(&at.encode()).unwrap(), at);
        for bad in ["", "42", "42.", ".7", "-1.7", "42.7.1", "a.b", "42.-7"] {
            assert!(Position::decode(bad).is_err(), "{bad}");
        }
        assert!(Position { tick: 1, id: 99 } < Position { tick: 2, id: 3 });
    }
}

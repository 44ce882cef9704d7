//! Revisions as stored and as answered, and the diff between two.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::spec::{Kind, Revisioned};
use crate::db::schema::revisions;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = revisions)]
pub struct RevisionRow {
    pub id: i64,
    pub resource: String,
    pub resource_id: i64,
    pub site_id: Option<i64>,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub reason: Option<String>,
    pub restored_from: Option<i64>,
    pub request_id: Option<String>,
    pub content: String,
}

/// A revision and its author's name now.
pub type Named = (RevisionRow, Option<String>);

impl RevisionRow {
    /// The content as JSON, each value as the API gives it (booleans, RFC 3339 times, embedded
    /// JSON) whichever engine stored it.
    pub fn content(&self, spec: &Revisioned) -> Map<String, Value> {
        let mut content = match serde_json::from_str::<Value>(&self.content) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for field in spec.fields {
            if let Some(value) = content.get_mut(field.key) {
                *value = normalised(field.kind, std::mem::take(value));
            }
        }
        content
    }

    pub fn summary(&self, actor_name: Option<&str>) -> RevisionSummary {
        RevisionSummary {
            id: self.id,
            resource: self.resource.clone(),
            resource_id: self.resource_id,
            at: self.at.and_utc(),
            author: self.actor_id.map(|id| RevisionAuthor {
                id,
                display_name: actor_name.map(str::to_owned),
                role: self.actor_role.clone(),
            }),
            reason: self.reason.clone(),
            restored_from: self.restored_from,
            request_id: self.request_id.clone(),
            changed: Vec::new(),
        }
    }
}

fn normalised(kind: Kind, value: Value) -> Value {
    match (kind, value) {
        (Kind::Bool, Value::Number(n)) => Value::Bool(n.as_i64() != Some(0)),
        (Kind::Time, Value::String(s)) => {
            let parsed = NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f"));
            match parsed {
                Ok(t) => Value::String(t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
                Err(_) => Value::String(s),
            }
        }
        (Kind::Json, Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        (_, value) => value,
    }
}

/// Who saved a revision (none: the system, an import from the command line, or content older
/// than revisions).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevisionAuthor {
    pub id: i64,
    /// Their name now (none if the account is gone).
    pub display_name: Option<String>,
    /// Their role when they saved it.
    pub role: Option<String>,
}

/// A revision without its content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 412, "resource": "article", "resource_id": 37, "at": "2026-12-03T02:14:09Z",
    "author": {"id": 3, "display_name": "Nguyễn Thị Lan", "role": "editor"},
    "reason": "Sửa lịch tiếp công dân", "restored_from": null, "request_id": "7f0c2a9e41b3d5a8",
    "changed": ["title", "body"]
}))]
pub struct RevisionSummary {
    /// The revision's id (ids grow with time, across resources).
    pub id: i64,
    /// What it is a revision of (`site`, `category`, `article`, `event`, `procedure`, `question`, `topic`).
    pub resource: String,
    pub resource_id: i64,
    /// When it was saved.
    pub at: DateTime<Utc>,
    pub author: Option<RevisionAuthor>,
    /// Why, as given with the save (`X-Change-Reason`), or what made it (an import, a restore).
    pub reason: Option<String>,
    /// The revision a restore brought back.
    pub restored_from: Option<i64>,
    /// The request that saved it (the audit log's entry names it too).
    pub request_id: Option<String>,
    /// The fields that differ from the revision before (every field for the first).
    pub changed: Vec<String>,
}

/// A revision with the whole content as it was.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Revision {
    #[serde(flatten)]
    pub summary: RevisionSummary,
    /// The content: the resource's fields as saved (never personal data).
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
}

/// One operation of a word-level diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WordChange {
    /// `equal`, `insert` or `delete`.
    pub op: String,
    /// The words (with their spacing) the operation covers.
    pub text: String,
}

/// How one field differs between two revisions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldDiff {
    pub field: String,
    /// Its value in the older revision (null: not set).
    #[schema(schema_with = any_value)]
    pub before: Value,
    /// Its value in the newer revision.
    #[schema(schema_with = any_value)]
    pub after: Value,
    /// For text of several words (HTML as its readable text): the words kept, inserted and
    /// deleted, in order.
    pub words: Option<Vec<WordChange>>,
}

/// A field's value: whatever JSON the field holds.
fn any_value() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([
            Type::String,
            Type::Number,
            Type::Boolean,
            Type::Object,
            Type::Array,
            Type::Null,
        ]))
        .build()
}

/// The differences between two revisions of a resource, field by field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevisionDiff {
    /// The older revision (none: compared with nothing, the first revision).
    pub from: Option<i64>,
    /// The newer revision.
    pub to: i64,
    /// Only the fields that differ.
    pub fields: Vec<FieldDiff>,
}

/// Paging of a resource's revisions.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevisionListQuery {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `at,author`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

/// What to compare a revision with.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// Another revision of the same resource, older or newer (default: the one before).
    pub with: Option<i64>,
}

/// Why a restore is made (optional; `X-Change-Reason` works too).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreRevision {
    /// Recorded as the new revision's reason, after "restored from revision N".
    pub reason: Option<String>,
}

//! The audit log's types: an entry as written, as stored, and as answered.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::audit_log;

/// An entry to append.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub site_id: Option<i64>,
    pub action: String,
    pub route: Option<String>,
    pub resource: Option<String>,
    pub resource_id: Option<String>,
    /// The change-log entries the write made, as a JSON array.
    pub changes: String,
    pub request_id: Option<String>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    /// Details as JSON, when the action has any.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub site_id: Option<i64>,
    pub action: String,
    pub route: Option<String>,
    pub resource: Option<String>,
    pub resource_id: Option<String>,
    pub changes: String,
    pub request_id: Option<String>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    /// The entry's place in the chain; none while it awaits its seal.
    pub seq: Option<i64>,
}

impl AuditRow {
    /// The content the hash covers.
    pub fn entry(&self) -> NewEntry {
        NewEntry {
            at: self.at,
            actor_id: self.actor_id,
            actor_role: self.actor_role.clone(),
            site_id: self.site_id,
            action: self.action.clone(),
            route: self.route.clone(),
            resource: self.resource.clone(),
            resource_id: self.resource_id.clone(),
            changes: self.changes.clone(),
            request_id: self.request_id.clone(),
            address: self.address.clone(),
            user_agent: self.user_agent.clone(),
            detail: self.detail.clone(),
        }
    }

    pub fn view(&self) -> AuditEntry {
        AuditEntry {
            id: self.id,
            at: self.at.and_utc(),
            actor: self.actor_id.map(|id| AuditActor { id, role: self.actor_role.clone().unwrap_or_default() }),
            site_id: self.site_id,
            action: self.action.clone(),
            route: self.route.clone(),
            resource: self.resource.clone(),
            resource_id: self.resource_id.clone(),
            changes: serde_json::from_str(&self.changes).unwrap_or_default(),
            request_id: self.request_id.clone(),
            address: self.address.clone(),
            user_agent: self.user_agent.clone(),
            detail: self.detail.as_deref().and_then(|d| serde_json::from_str(d).ok()),
            hash: self.hash.clone(),
        }
    }
}

/// Who acted, as they were when they did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditActor {
    /// The user's id.
    pub id: i64,
    /// Their role at the time (`admin`, `editor`, `moderator`).
    pub role: String,
}

/// A change-log entry a write made.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditChange {
    /// Its position in the change log (`GET /api/v1/changes`).
    pub position: i64,
    /// `article`, `category`, `event`, `procedure`, `question`, `topic`, `site`, `feedback` ...
    pub resource: String,
    pub resource_id: i64,
    /// `insert`, `update` or `delete`.
    pub action: String,
    /// The revision the save made (resources that keep revisions, when their content changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
}

/// One entry of the audit log: who did what, when, from where.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 812, "at": "2026-12-02T03:14:07.512000Z", "actor": {"id": 4, "role": "editor"}, "site_id": 1,
    "action": "articles.publish", "route": "POST /api/v1/articles/{key}/publish", "resource": "article",
    "resource_id": "42", "changes": [{"position": 1907, "resource": "article", "resource_id": 42, "action": "update", "revision": 311}],
    "request_id": "9f86d081884c7d659a2feaa0c55ad015", "address": "203.0.113.7", "user_agent": "Mozilla/5.0",
    "hash": "5e0c1bd0c5b2f3f1b8b8c1c2e1c8f1b45a3e6f3a0d5c7a9b1e2f3a4b5c6d7e8f"
}))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who acted; null for a sign-in that failed or work without an account.
    pub actor: Option<AuditActor>,
    /// The site of the account that acted (null for an admin of every site).
    pub site_id: Option<i64>,
    /// What was done: `<resource>.<verb>` from the route (`articles.update`, `feedback.topics.create`,
    /// `articles.publish`), or `auth.login`, `auth.login_failed`, `auth.refresh_reused`.
    pub action: String,
    /// The method and route template of the request.
    pub route: Option<String>,
    /// The resource changed first (from the change log), or the one the route names.
    pub resource: Option<String>,
    pub resource_id: Option<String>,
    /// Every change-log entry the write made, in the order made.
    pub changes: Vec<AuditChange>,
    /// The request's `X-Request-Id`, as its response carried it.
    pub request_id: Option<String>,
    /// The client's address (from a trusted proxy's header when `MUNI_TRUST_PROXY` is set).
    pub address: Option<String>,
    pub user_agent: Option<String>,
    /// Details of the action (for a failed sign-in: the email tried; never a password).
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    /// SHA-256 of the previous entry's hash and this entry's content (`muni audit verify`); null
    /// for the moment between the write's commit and the entry's seal (PostgreSQL seals entries
    /// in order after they commit, usually within a few milliseconds, at most about a second).
    pub hash: Option<String>,
}

/// Filters of the audit log. Admins bound to a site see their site's entries only.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only what this user did, by id.
    pub user: Option<i64>,
    /// Only this action (`articles.update`), or actions starting with a prefix ending in `*`
    /// (`auth.*`).
    pub action: Option<String>,
    /// Only entries about this resource (`article`, `users`, ...).
    pub resource: Option<String>,
    /// With `resource`: only this one.
    pub resource_id: Option<String>,
    /// From this time (RFC 3339, or a date: its start in the deployment's time zone).
    pub from: Option<String>,
    /// Until this time (RFC 3339, or a date: its end in the deployment's time zone).
    pub to: Option<String>,
    /// Only entries with an id after this one (to export what is new since the last export).
    pub after_id: Option<i64>,
    /// `json` (default, a page), `jsonl` (JSON Lines) or `csv`: an export of every entry matching,
    /// oldest first, at most 100,000 (narrow by time or `after_id` for more).
    pub format: Option<String>,
    /// Page number, from 1 (JSON only).
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20; JSON only).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `action,at`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

/// The filters as the queries take them.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub site_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub resource: Option<String>,
    pub resource_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub after_id: Option<i64>,
}

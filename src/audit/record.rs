//! Recording: a layer gives each write request (and each read with a token) a witness that
//! appends one audit entry per write transaction the request commits, inside that transaction.

use std::sync::{Arc, Mutex};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use diesel::QueryResult;

use super::model::NewEntry;
use super::repo::{self, ChangeOfThisTransaction};
use crate::db::witness::{self, Actor, Witness};
use crate::db::{self, DbConn};
use crate::http::CHANGE_REASON_HEADER;
use crate::http::observe::{MatchedRoute, Observe, RequestId};
use crate::revisions::{self, Attribution};

/// What one request is, and what it has learned of who acts and what it does.
struct RequestRecord {
    route: Option<String>,
    action: String,
    path_resource: Option<(String, String)>,
    request_id: Option<String>,
    address: Option<String>,
    user_agent: Option<String>,
    /// `X-Change-Reason`, as given.
    reason: Option<String>,
    acts: Mutex<Acts>,
}

#[derive(Default)]
struct Acts {
    actor: Option<Actor>,
    note: Option<(String, Option<serde_json::Value>)>,
    restoring: Option<i64>,
    reason: Option<String>,
}

/// The longest `X-Change-Reason` kept, in characters.
const MAX_REASON_CHARS: usize = 500;

/// The reason a write gives in [`CHANGE_REASON_HEADER`]: UTF-8, percent-encoded or not (browsers
/// send only Latin-1 in headers, so a Vietnamese reason from one comes percent-encoded).
fn reason_of(value: &header::HeaderValue) -> Option<String> {
    let text = String::from_utf8_lossy(value.as_bytes());
    let decoded = percent_encoding::percent_decode_str(&text).decode_utf8_lossy();
    let reason: String = decoded.chars().filter(|c| !c.is_control()).take(MAX_REASON_CHARS).collect();
    Some(reason.trim().to_owned()).filter(|r| !r.is_empty())
}

impl Witness for RequestRecord {
    fn acting(&self, actor: Actor) {
        self.acts.lock().unwrap_or_else(|p| p.into_inner()).actor = Some(actor);
    }

    fn note(&self, action: &str, detail: Option<serde_json::Value>) {
        self.acts.lock().unwrap_or_else(|p| p.into_inner()).note = Some((action.to_owned(), detail));
    }

    fn restoring(&self, revision: i64) {
        self.acts.lock().unwrap_or_else(|p| p.into_inner()).restoring = Some(revision);
    }

    fn reason(&self, reason: &str) {
        self.acts.lock().unwrap_or_else(|p| p.into_inner()).reason = Some(reason.to_owned());
    }

    fn opened(&self, conn: &mut DbConn) -> QueryResult<i64> {
        repo::change_mark(conn)
    }

    fn closing(&self, conn: &mut DbConn, mark: i64) -> QueryResult<()> {
        let (actor, note, restoring, reason) = {
            let acts = self.acts.lock().unwrap_or_else(|p| p.into_inner());
            (acts.actor.clone(), acts.note.clone(), acts.restoring, acts.reason.clone())
        };
        let mut changes = repo::changes_since(conn, mark)?;
        let reason = [restoring.map(|r| format!("restored from revision {r}")), reason, self.reason.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        let by = Attribution {
            at: None,
            actor_id: actor.as_ref().map(|a| a.user_id),
            actor_role: actor.as_ref().map(|a| a.role.clone()),
            reason: Some(reason.join(": ")).filter(|r| !r.is_empty()),
            restored_from: restoring,
            request_id: self.request_id.clone(),
        };
        keep_revisions(conn, &mut changes, &by)?;
        // Only what someone signed in did, and what a request names itself (a failed sign-in).
        if actor.is_none() && note.is_none() {
            return Ok(());
        }
        let (resource, resource_id) = match changes.first() {
            Some(first) => (Some(first.resource.clone()), Some(first.resource_id.to_string())),
            None => self.path_resource.clone().map_or((None, None), |(r, id)| (Some(r), Some(id))),
        };
        let (action, detail) = match note {
            Some((action, detail)) => (action, detail.map(|d| d.to_string())),
            None => (self.action.clone(), None),
        };
        let entry = NewEntry {
            at: db::now(),
            actor_id: actor.as_ref().map(|a| a.user_id),
            actor_role: actor.as_ref().map(|a| a.role.clone()),
            site_id: actor.as_ref().and_then(|a| a.site_id),
            action,
            route: self.route.clone(),
            resource,
            resource_id,
            changes: serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into()),
            request_id: self.request_id.clone(),
            address: self.address.clone(),
            user_agent: self.user_agent.clone(),
            detail,
        };
        repo::append(conn, &entry).map(|_| ())
    }
}

/// Snapshots what the transaction saved (each resource once) and names each revision in its
/// change-log entries.
fn keep_revisions(conn: &mut DbConn, changes: &mut [ChangeOfThisTransaction], by: &Attribution) -> QueryResult<()> {
    let mut saved: Vec<(String, i64)> = Vec::new();
    for change in changes.iter() {
        let key = (change.resource.clone(), change.resource_id);
        if change.action != "delete" && !saved.contains(&key) {
            saved.push(key);
        }
    }
    if saved.is_empty() {
        return Ok(());
    }
    for (resource, id, revision) in revisions::record(conn, &saved, by)? {
        if let Some(last) = changes.iter_mut().rev().find(|c| c.resource == resource && c.resource_id == id) {
            last.revision = Some(revision);
        }
    }
    Ok(())
}

/// The witness of writes no request makes (the CLI, the seed, maintenance): it keeps their
/// revisions, with no author, and no audit entry (nobody signed in acts).
struct Unattended {
    reason: Option<String>,
}

impl Witness for Unattended {
    fn acting(&self, _: Actor) {}
    fn note(&self, _: &str, _: Option<serde_json::Value>) {}
    fn restoring(&self, _: i64) {}
    fn reason(&self, _: &str) {}

    fn opened(&self, conn: &mut DbConn) -> QueryResult<i64> {
        repo::change_mark(conn)
    }

    fn closing(&self, conn: &mut DbConn, mark: i64) -> QueryResult<()> {
        let mut changes = repo::changes_since(conn, mark)?;
        let by = Attribution { reason: self.reason.clone(), ..Attribution::default() };
        keep_revisions(conn, &mut changes, &by)
    }
}

/// The witness of writes outside requests, with `reason` on their revisions (an import from the
/// command line).
pub fn unattended(reason: Option<String>) -> Arc<dyn Witness> {
    Arc::new(Unattended { reason })
}

/// Last segments of routes without a parameter that name what is done, not a collection.
const VERBS: &[&str] = &["login", "logout", "password", "refresh", "import"];

/// `<resource>.<verb>` for a method and route template: the literal segments before the first
/// parameter name the resource (`feedback.topics`); a literal after a parameter (or one of
/// [`VERBS`]) is the verb (`publish`, `login`), otherwise the method's (`create`, `update`,
/// `replace`, `delete`).
pub fn action_of(method: &Method, template: &str) -> String {
    let path = template.strip_prefix("/api/v1/").unwrap_or(template.trim_start_matches('/'));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let [resource @ .., verb] = segments.as_slice()
        && !resource.is_empty()
        && VERBS.contains(verb)
    {
        return format!("{}.{verb}", resource.join("."));
    }
    let first_parameter = segments.iter().position(|s| s.starts_with('{')).unwrap_or(segments.len());
    let resource = segments[..first_parameter].join(".");
    let verb = match segments[first_parameter..].iter().rev().find(|s| !s.starts_with('{')) {
        Some(verb) => (*verb).to_owned(),
        None => match *method {
            Method::POST => "create",
            Method::PATCH => "update",
            Method::PUT => "replace",
            Method::DELETE => "delete",
            Method::GET => "read",
            _ => "call",
        }
        .to_owned(),
    };
    if resource.is_empty() { verb } else { format!("{resource}.{verb}") }
}

/// Puts a witness around every write request and every request with a token; public reads go
/// without one (nothing to record, nothing to pay).
pub async fn audit_layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if reads && !req.headers().contains_key(header::AUTHORIZATION) {
        return next.call(req).await;
    }
    let route = MatchedRoute::of(&req);
    let template = route.clone().unwrap_or_else(|| req.path().to_owned());
    // The resource a route names, and the id in its first parameter (routing has not run yet:
    // the template and the path are laid side by side).
    let path_resource = {
        let named: Vec<&str> = template.split('/').filter(|s| !s.is_empty() && *s != "api" && *s != "v1").collect();
        let given: Vec<&str> = req.path().split('/').filter(|s| !s.is_empty() && *s != "api" && *s != "v1").collect();
        let id = named.iter().position(|s| s.starts_with('{')).and_then(|i| given.get(i));
        named.first().zip(id).map(|(resource, id)| ((*resource).to_owned(), (*id).to_owned()))
    };
    // The client as the access log names it: a trusted proxy's word for it, or the peer.
    let trust_proxy = req.app_data::<web::Data<Observe>>().is_some_and(|o| o.trust_proxy);
    let address = {
        let info = req.connection_info();
        if trust_proxy { info.realip_remote_addr() } else { info.peer_addr() }.map(str::to_owned)
    };
    let record = RequestRecord {
        action: action_of(req.method(), &template),
        route: Some(format!("{} {template}", req.method())),
        path_resource,
        request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
        address,
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(300).collect()),
        reason: req.headers().get(CHANGE_REASON_HEADER).and_then(reason_of),
        acts: Mutex::default(),
    };
    witness::scope(Arc::new(record), next.call(req)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_named_from_routes() {
        assert_eq!(action_of(&Method::POST, "/api/v1/articles"), "articles.create");
        assert_eq!(action_of(&Method::PATCH, "/api/v1/articles/{key}"), "articles.update");
        assert_eq!(action_of(&Method::POST, "/api/v1/articles/{key}/publish"), "articles.publish");
        assert_eq!(action_of(&Method::DELETE, "/api/v1/feedback/topics/{id}"), "feedback.topics.delete");
        assert_eq!(action_of(&Method::POST, "/api/v1/webhooks/{id}/deliveries/{d}/redeliver"), "webhooks.redeliver");
        assert_eq!(action_of(&Method::PUT, "/api/v1/media/{id}/file"), "media.file");
        assert_eq!(action_of(&Method::POST, "/api/v1/auth/login"), "auth.login");
        assert_eq!(action_of(&Method::POST, "/api/v1/procedures/import"), "procedures.import");
        assert_eq!(action_of(&Method::POST, "/api/v1/feedback/topics"), "feedback.topics.create");
    }
}

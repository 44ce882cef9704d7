//! The revisions of each resource that keeps them: list, one, a diff between two, and restore.
//! The routes are the same for every resource; [`revision_routes!`] writes them, documented, for
//! each, over the generic handlers here.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use super::diff;
use super::model::{DiffQuery, Revision, RevisionDiff, RevisionListQuery, RevisionRow, RevisionSummary};
use super::repo;
use super::spec::Revisioned;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn, witness, write_transaction};
use crate::error::ApiError;
use crate::http::{Fields, Paging, list_response};
use crate::state::AppState;

/// A resource's restore: puts back the restorable fields of a revision's content through the
/// resource's own checks (validation, unique names, derived fields), as a change by `user`.
pub type Restore = fn(&mut DbConn, &AuthUser, i64, &Map<String, Value>) -> Result<(), ApiError>;

/// What every handler of one resource's revisions shares.
pub struct Resource {
    pub spec: &'static Revisioned,
    /// Who may read and restore them (admins always).
    pub roles: &'static [Role],
}

impl Resource {
    fn keys(&self) -> Vec<&'static str> {
        self.spec.fields.iter().map(|f| f.key).collect()
    }

    /// Checks the user may see this resource's revisions: its role, and the site the latest
    /// revision names. 404 when it has none.
    fn check(&self, conn: &mut DbConn, user: &AuthUser, id: i64) -> Result<(), ApiError> {
        user.require(self.roles)?;
        let site = repo::site_of(conn, self.spec.resource, id)?.ok_or_else(|| ApiError::not_found("revision"))?;
        user.require_site(site)
    }

    fn revision(&self, conn: &mut DbConn, id: i64, revision: i64) -> Result<(RevisionRow, Option<String>), ApiError> {
        repo::find(conn, self.spec.resource, id, revision)?.ok_or_else(|| ApiError::not_found("revision"))
    }

    fn answer(&self, conn: &mut DbConn, (row, name): (RevisionRow, Option<String>)) -> Result<Revision, ApiError> {
        let content = row.content(self.spec);
        let before =
            repo::previous(conn, self.spec.resource, row.resource_id, row.id)?.map(|(b, _)| b.content(self.spec));
        let mut summary = row.summary(name.as_deref());
        summary.changed = diff::changed(before.as_ref(), &content, &self.keys());
        Ok(Revision { summary, content })
    }
}

pub async fn list(
    state: &AppState,
    req: &HttpRequest,
    user: AuthUser,
    resource: &'static Resource,
    id: i64,
    query: RevisionListQuery,
) -> Result<HttpResponse, ApiError> {
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<RevisionSummary>(query.fields.as_deref())?;
    let (items, total) = db::run(&state.db, move |conn| {
        resource.check(conn, &user, id)?;
        let (rows, total) = repo::list(conn, resource.spec.resource, id, paging.offset(), paging.limit() + 1)?;
        // One more than the page: the last item's `changed` compares with the one before it.
        let keys = resource.keys();
        let mut contents: Vec<Map<String, Value>> = rows.iter().map(|(row, _)| row.content(resource.spec)).collect();
        let mut items = Vec::new();
        for (i, (row, name)) in rows.iter().enumerate().take(paging.limit() as usize) {
            let before = match contents.get(i + 1) {
                Some(before) => Some(before.clone()),
                None => {
                    repo::previous(conn, resource.spec.resource, id, row.id)?.map(|(b, _)| b.content(resource.spec))
                }
            };
            let mut summary = row.summary(name.as_deref());
            summary.changed = diff::changed(before.as_ref(), &contents[i], &keys);
            items.push(summary);
        }
        contents.clear();
        Ok((items, total))
    })
    .await?;
    Ok(list_response(req, fields.apply(items), total, paging))
}

pub async fn one(
    state: &AppState,
    user: AuthUser,
    resource: &'static Resource,
    id: i64,
    revision: i64,
) -> Result<web::Json<Revision>, ApiError> {
    let revision = db::run(&state.db, move |conn| {
        resource.check(conn, &user, id)?;
        let row = resource.revision(conn, id, revision)?;
        resource.answer(conn, row)
    })
    .await?;
    Ok(web::Json(revision))
}

pub async fn compare(
    state: &AppState,
    user: AuthUser,
    resource: &'static Resource,
    id: i64,
    revision: i64,
    query: DiffQuery,
) -> Result<web::Json<RevisionDiff>, ApiError> {
    let answer = db::run(&state.db, move |conn| {
        resource.check(conn, &user, id)?;
        let (this, _) = resource.revision(conn, id, revision)?;
        let other = match query.with {
            Some(other) => Some(repo::find(conn, resource.spec.resource, id, other)?.ok_or_else(|| {
                crate::http::bad_parameter("with", "not_found", "no revision of this resource has this id")
            })?),
            None => repo::previous(conn, resource.spec.resource, id, revision)?,
        };
        let (older, newer) = match other {
            Some((other, _)) if other.id > this.id => (Some(this), other),
            Some((other, _)) => (Some(other), this),
            None => (None, this),
        };
        let before = older.as_ref().map(|o| o.content(resource.spec));
        let fields = diff::fields(before.as_ref(), &newer.content(resource.spec), &resource.keys());
        Ok(RevisionDiff { from: older.map(|o| o.id), to: newer.id, fields })
    })
    .await?;
    Ok(web::Json(answer))
}

pub async fn restore(
    state: &AppState,
    user: AuthUser,
    resource: &'static Resource,
    restorer: Restore,
    id: i64,
    revision: i64,
) -> Result<HttpResponse, ApiError> {
    user.require(resource.roles)?;
    let answer = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            resource.check(c, &user, id)?;
            let (row, _) = resource.revision(c, id, revision)?;
            let restorable: Map<String, Value> = row
                .content(resource.spec)
                .into_iter()
                .filter(|(key, _)| resource.spec.field(key).is_some_and(|f| f.restorable))
                .collect();
            witness::restoring(revision);
            restorer(c, &user, id, &restorable)
        })?;
        let latest = repo::latest(conn, resource.spec.resource, id)?.ok_or_else(|| ApiError::not_found("revision"))?;
        resource.answer(conn, latest)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_LOCATION,
            format!("{}/{}", revisions_base(resource.spec.resource, id), answer.summary.id),
        ))
        .json(answer))
}

fn revisions_base(resource: &str, id: i64) -> String {
    let collection = match resource {
        "site" => "sites",
        "category" => "categories",
        "article" => "articles",
        "event" => "events",
        "procedure" => "procedures",
        "question" => "questions",
        _ => "feedback/topics",
    };
    format!("/api/v1/{collection}/{id}/revisions")
}

/// Writes the documented routes of one resource's revisions as a module `$module` over the
/// handlers above: `GET $list`, `GET $one`, `GET $diff`, `POST $restore`.
macro_rules! revision_routes {
    ($module:ident, $resource:expr, $restorer:path, tag = $tag:literal, key = $key:literal,
     list = $list:literal, one = $one:literal, diff = $diff:literal, restore = $restore:literal,
     ids = ($list_id:literal, $one_id:literal, $diff_id:literal, $restore_id:literal)) => {
        pub mod $module {
            use actix_web::{HttpRequest, HttpResponse, get, post, web};

            use crate::auth::AuthUser;
            use crate::error::ApiError;
            use crate::http::{ApiQuery, ListResponse};
            use crate::revisions::model::{DiffQuery, Revision, RevisionDiff, RevisionListQuery, RevisionSummary};
            use crate::state::AppState;

            /// The revisions of one of these, newest first: who saved each, when, why, and which
            /// fields it changed.
            #[utoipa::path(
                tag = $tag,
                operation_id = $list_id,
                params(($key = i64, Path, description = "Its id"), RevisionListQuery),
                security(("bearer" = [])),
                responses(
                    (status = 200, description = "A page of revisions", body = ListResponse<RevisionSummary>,
                        headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                                ("X-Total-Count" = i64, description = "Revisions over all pages"))),
                    (status = 404, description = "No revisions: there is no such resource"),
                )
            )]
            #[get($list)]
            pub async fn list(
                state: web::Data<AppState>,
                req: HttpRequest,
                user: AuthUser,
                id: web::Path<i64>,
                query: ApiQuery<RevisionListQuery>,
            ) -> Result<HttpResponse, ApiError> {
                crate::revisions::handlers::list(&state, &req, user, &$resource, id.into_inner(), query.0).await
            }

            /// One revision, with the whole content as it was saved.
            #[utoipa::path(
                tag = $tag,
                operation_id = $one_id,
                params(($key = i64, Path, description = "Its id"), ("revision" = i64, Path, description = "The revision's id")),
                security(("bearer" = [])),
                responses(
                    (status = 200, description = "The revision", body = Revision),
                    (status = 404, description = "No such revision of this resource"),
                )
            )]
            #[get($one)]
            pub async fn one(
                state: web::Data<AppState>,
                user: AuthUser,
                path: web::Path<(i64, i64)>,
            ) -> Result<web::Json<Revision>, ApiError> {
                let (id, revision) = path.into_inner();
                crate::revisions::handlers::one(&state, user, &$resource, id, revision).await
            }

            /// How a revision differs from another (by default the one before it), field by field;
            /// text and HTML also word by word, as a reader sees the text.
            #[utoipa::path(
                tag = $tag,
                operation_id = $diff_id,
                params(($key = i64, Path, description = "Its id"), ("revision" = i64, Path, description = "The revision's id"), DiffQuery),
                security(("bearer" = [])),
                responses(
                    (status = 200, description = "The differences, older to newer", body = RevisionDiff),
                    (status = 404, description = "No such revision of this resource"),
                )
            )]
            #[get($diff)]
            pub async fn diff(
                state: web::Data<AppState>,
                user: AuthUser,
                path: web::Path<(i64, i64)>,
                query: ApiQuery<DiffQuery>,
            ) -> Result<web::Json<RevisionDiff>, ApiError> {
                let (id, revision) = path.into_inner();
                crate::revisions::handlers::compare(&state, user, &$resource, id, revision, query.0).await
            }

            /// Restore a revision: its content (not its address or publication state) is saved again
            /// through the usual checks, as a new revision that names the one restored. History is
            /// never rewritten. Give the reason in `X-Change-Reason`.
            #[utoipa::path(
                tag = $tag,
                operation_id = $restore_id,
                params(($key = i64, Path, description = "Its id"), ("revision" = i64, Path, description = "The revision to restore")),
                security(("bearer" = [])),
                responses(
                    (status = 200, description = "The latest revision after the restore (the same as before when nothing differed)", body = Revision,
                        headers(("Content-Location" = String, description = "The URL of that revision"))),
                    (status = 404, description = "No such revision of this resource"),
                    (status = 409, description = "The content cannot be restored as it was (a name since taken, say)"),
                )
            )]
            #[post($restore)]
            pub async fn restore(
                state: web::Data<AppState>,
                user: AuthUser,
                path: web::Path<(i64, i64)>,
            ) -> Result<HttpResponse, ApiError> {
                let (id, revision) = path.into_inner();
                crate::revisions::handlers::restore(&state, user, &$resource, $restorer, id, revision).await
            }
        }
    };
}

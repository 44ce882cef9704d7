//! Procedure endpoints: public reads, editor writes and imports.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use futures_util::StreamExt;

use super::forms;
use super::import::{Format, parse};
use super::model::*;
use super::repo::{self, ProcedureFilter};
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError};
use crate::http::{ApiJson, ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::search::{self, Engine, Kind, Matches};
use crate::sites;
use crate::state::AppState;

/// The largest import accepted over HTTP.
const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// The list's filters, and what the search engine found for `q` (when this node's index can answer).
fn filter_from(
    conn: &mut DbConn,
    query: &ProcedureListQuery,
    engine: Option<&Engine>,
) -> Result<(ProcedureFilter, Option<Matches>), ApiError> {
    let site_ids = sites::site_filter(conn, &query.site)?;
    let field_id = crate::fields::filter_id(conn, query.field.as_deref())?;
    let validity = match query.validity.as_deref() {
        None | Some("in_force") => Some("in_force".to_owned()),
        Some("all") => None,
        Some(v @ ("expired" | "replaced")) => Some(v.to_owned()),
        Some(_) => {
            return Err(ApiError::BadRequestFields {
                detail: "`validity` must be in_force, expired, replaced or all.".into(),
                errors: vec![FieldError::new(
                    "validity",
                    "invalid_value",
                    "must be in_force, expired, replaced or all",
                )],
            });
        }
    };
    let matches = match (engine, query.q.as_deref()) {
        (Some(engine), Some(q)) => engine.matches(q, Kind::Procedure, site_ids.clone())?,
        _ => None,
    };
    let filter = ProcedureFilter {
        site_ids,
        field_id,
        agency: crate::text::search_words(query.agency.as_deref()),
        level: query.level,
        validity,
        max_days: query.max_days,
        words: match &matches {
            Some(_) => vec![],
            None => crate::text::search_words(query.q.as_deref()),
        },
        found: matches.as_ref().map(|m| m.ids.clone()),
    };
    Ok((filter, matches))
}

/// List procedures: in force by default; filters `field`, `agency`, `level`, `validity`,
/// `max_days`, and `q` over name, code, agency, field and dossier through the search engine.
#[utoipa::path(
    tag = "procedures",
    params(ProcedureListQuery),
    responses((status = 200, description = "A page of procedures, by name (with `q`, the best matches first)", body = ListResponse<Procedure>,
        headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                ("X-Total-Count" = i64, description = "Procedures matching, over all pages"))))
)]
#[get("/procedures")]
pub async fn list_procedures(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ApiQuery<ProcedureListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<Procedure>(query.fields.as_deref())?;
    let engine = Engine::of(&state);
    let (items, total, at) = db::run(&state.db, move |conn| {
        let (f, matches) = filter_from(conn, &query, engine.as_ref())?;
        let (rows, total) = match &matches {
            // Words found by the engine: the best first, among those the other filters keep.
            Some(found) => {
                found.page_rows(&repo::matching_ids(conn, &f)?, paging, |ids| repo::public_rows(conn, ids), |r| r.id)?
            }
            None => repo::list(conn, &f, paging.offset(), paging.limit())?,
        };
        Ok((repo::to_procedures(conn, rows)?, total, matches.map(|m| m.at)))
    })
    .await?;
    let mut res = list_response(&req, fields.apply(items), total, paging);
    search::mark_drawn_from_index(&mut res, at);
    Ok(res)
}

/// Counts per field and per level (each facet ignores its own filter, so a frontend can show
/// the other choices), under the same filters as the list.
#[utoipa::path(tag = "procedures", params(ProcedureFacetsQuery), responses((status = 200, description = "The facet counts", body = Facets)))]
#[get("/procedures/facets")]
pub async fn procedure_facets(
    state: web::Data<AppState>,
    query: ApiQuery<ProcedureFacetsQuery>,
) -> Result<web::Json<Facets>, ApiError> {
    let query: ProcedureListQuery = query.0.into();
    let engine = Engine::of(&state);
    let facets = db::run(&state.db, move |conn| {
        let (f, _) = filter_from(conn, &query, engine.as_ref())?;
        let values = repo::facet_values(conn, &f)?;
        // A ward has hundreds of procedures, a province a few thousand: counted here, not grouped in SQL.
        let mut by_field: std::collections::HashMap<Option<i64>, i64> = std::collections::HashMap::new();
        for id in values.field_ids {
            *by_field.entry(id).or_default() += 1;
        }
        let names = crate::fields::list(conn)?;
        let mut fields: Vec<FacetCount> = by_field
            .into_iter()
            .filter_map(|(id, count)| {
                let field = names.iter().find(|f| Some(f.id) == id)?;
                Some(FacetCount { value: field.code.clone(), name: Some(field.name.clone()), count })
            })
            .collect();
        fields.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
        let mut by_level: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for level in values.levels {
            *by_level.entry(level).or_default() += 1;
        }
        let total = values.total;
        let mut levels: Vec<FacetCount> =
            by_level.into_iter().map(|(value, count)| FacetCount { value, name: None, count }).collect();
        levels.sort_by(|a, b| a.value.cmp(&b.value));
        Ok(Facets { total, fields, levels })
    })
    .await?;
    Ok(web::Json(facets))
}

/// Every procedure (in force or not, not deleted) as JSON Lines, one record per line: for the
/// province and for backups. It imports back as it is.
#[utoipa::path(
    tag = "procedures",
    params(ExportQuery),
    responses((status = 200, description = "JSON Lines", content_type = "application/x-ndjson", body = String))
)]
#[get("/procedures/export")]
pub async fn export_procedures(
    state: web::Data<AppState>,
    query: ApiQuery<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let body = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let records = repo::export_records(conn, site_ids)?;
        Ok(records.into_iter().map(|r| r + "\n").collect::<String>())
    })
    .await?;
    Ok(HttpResponse::Ok().content_type("application/x-ndjson; charset=utf-8").body(body))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only these sites, by code (repeatable).
    #[serde(default)]
    pub site: Vec<String>,
}

/// One procedure, by national code or id, with its whole record.
#[utoipa::path(
    tag = "procedures",
    params(("key" = String, Path, description = "The national code (`1.001193`), or the numeric id"), ExportQuery),
    responses(
        (status = 200, description = "The procedure", body = Procedure),
        (status = 404, description = "No such procedure"),
    )
)]
#[get("/procedures/{key}")]
pub async fn get_procedure(
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: ApiQuery<ExportQuery>,
) -> Result<web::Json<Procedure>, ApiError> {
    let (key, sites_wanted) = (key.into_inner(), query.0.site);
    let procedure = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &sites_wanted)?;
        let row = repo::find_by_key(conn, &key, site_ids)?;
        let row = row.ok_or_else(|| ApiError::not_found("procedure"))?;
        repo::to_procedures(conn, vec![row])?.pop().ok_or_else(|| ApiError::not_found("procedure"))
    })
    .await?;
    Ok(web::Json(procedure))
}

fn find_for_write(conn: &mut DbConn, user: &AuthUser, id: i64) -> Result<ProcedureRow, ApiError> {
    let row = repo::find_for_write(conn, id)?.ok_or_else(|| ApiError::not_found("procedure"))?;
    user.require_site(Some(row.site_id))?;
    Ok(row)
}

/// Add a procedure by hand (editors, admins); importing is the usual way.
#[utoipa::path(
    tag = "procedures",
    params(ImportQuery),
    request_body = ProcedureRecord,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Procedure, headers(("Location" = String, description = "URL of the procedure"))),
        (status = 409, description = "The site already has a procedure with this code"),
    )
)]
#[post("/procedures")]
pub async fn create_procedure(
    state: web::Data<AppState>,
    user: AuthUser,
    query: ApiQuery<ImportQuery>,
    body: ApiJson<ProcedureRecord>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let record = body.0;
    let errors = validate(&record);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let site = query.0.site;
    let procedure = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let site_id = resolve_site(c, &user, site.as_deref())?;
            let errors = forms::check(c, site_id, &record)?;
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            if repo::code_taken(c, site_id, record.code.trim())? {
                return Err(ApiError::NotUnique { field: "code".into() });
            }
            let id = match repo::upsert(c, site_id, &record, "api")? {
                repo::Upserted::Created(id) | repo::Upserted::Updated(id) | repo::Upserted::Unchanged(id) => id,
            };
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::internal("procedure vanished"))?;
            repo::to_procedures(c, vec![row])?.pop().ok_or_else(|| ApiError::internal("procedure vanished"))
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/procedures/{}", procedure.record.code)))
        .json(procedure))
}

fn resolve_site(conn: &mut DbConn, user: &AuthUser, code: Option<&str>) -> Result<i64, ApiError> {
    let given = match code {
        Some(code) => Some(
            sites::find_site(conn, code)?
                .ok_or_else(|| ApiError::BadRequestFields {
                    detail: format!("There is no site `{code}`."),
                    errors: vec![FieldError::new("site", "not_found", "no site has this code")],
                })?
                .id,
        ),
        None => None,
    };
    sites::site_for_write(conn, user, given)
}

/// Change a procedure (editors, admins): a JSON merge patch (RFC 7386) on its record; `null`
/// removes an optional field. The code cannot change.
#[utoipa::path(
    tag = "procedures",
    params(("key" = i64, Path, description = "The procedure's id")),
    request_body(content = Object, description = "Fields of the record to change", content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated procedure", body = Procedure),
        (status = 404, description = "No such procedure"),
    )
)]
#[patch("/procedures/{key}")]
pub async fn update_procedure(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<serde_json::Value>,
) -> Result<web::Json<Procedure>, ApiError> {
    user.require(&[Role::Editor])?;
    let (patch, id) = (body.0, id.into_inner());
    if !patch.is_object() {
        return Err(ApiError::BadRequest("The body must be a JSON object of the fields to change.".into()));
    }
    let procedure = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let row = find_for_write(c, &user, id)?;
            let mut record: serde_json::Value = serde_json::from_str(&row.record).map_err(ApiError::internal)?;
            merge_patch(&mut record, &patch);
            save_record(c, &row, record)?;
            let row = repo::find(c, id)?.ok_or_else(|| ApiError::internal("procedure vanished"))?;
            repo::to_procedures(c, vec![row])?.pop().ok_or_else(|| ApiError::internal("procedure vanished"))
        })
    })
    .await?;
    Ok(web::Json(procedure))
}

/// Checks a procedure's whole record as changed and saves it, in the caller's transaction.
fn save_record(c: &mut DbConn, row: &ProcedureRow, record: serde_json::Value) -> Result<(), ApiError> {
    let record: ProcedureRecord = serde_json::from_value(record)
        .map_err(|e| ApiError::Validation(vec![FieldError::new("body", "invalid_value", e.to_string())]))?;
    if record.code.trim() != row.code {
        return Err(ApiError::invalid("code", "invalid_value", "cannot change: import the new code instead"));
    }
    let mut errors = validate(&record);
    errors.extend(forms::check(c, row.site_id, &record)?);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    repo::upsert(c, row.site_id, &record, row.source.as_deref().unwrap_or("api"))?;
    Ok(())
}

/// Puts back a revision's record of a procedure (see `crate::revisions`).
pub fn restore_revision(
    c: &mut DbConn,
    user: &AuthUser,
    id: i64,
    content: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    let row = find_for_write(c, user, id)?;
    let record = content
        .get("record")
        .cloned()
        .ok_or_else(|| ApiError::Conflict("This revision has no record to restore.".into()))?;
    save_record(c, &row, record)
}

/// RFC 7386: objects merge, `null` removes, anything else replaces.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(target), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(serde_json::Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// Delete a procedure (soft: a re-import of its code brings it back).
#[utoipa::path(
    tag = "procedures",
    params(("key" = i64, Path, description = "The procedure's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such procedure"),
    )
)]
#[delete("/procedures/{key}")]
pub async fn delete_procedure(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let id = id.into_inner();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            find_for_write(c, &user, id)?;
            repo::soft_delete(c, id)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Import procedures (editors, admins): a JSON array or JSON Lines (`application/x-ndjson`) of
/// records. Upserts by code, idempotently, one transaction per batch of 500; answers what was
/// created, updated, unchanged and rejected (with the reason for each rejected row). A malformed
/// row never stops the others unless `strict=true`, which then writes nothing (422).
#[utoipa::path(
    tag = "procedures",
    params(ImportQuery),
    request_body(content = Vec<ProcedureRecord>, description = "A JSON array, or JSON Lines with `Content-Type: application/x-ndjson`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the import did", body = ImportReport),
        (status = 422, description = "With `strict=true`: malformed rows, nothing written"),
    )
)]
#[post("/procedures/import")]
pub async fn import_procedures(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: ApiQuery<ImportQuery>,
    mut payload: web::Payload,
) -> Result<web::Json<ImportReport>, ApiError> {
    user.require(&[Role::Editor])?;
    // Each procedure the import changes keeps a revision that names it as the reason.
    db::witness::reason("import");
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let format = if content_type.starts_with("application/json") {
        Format::Json
    } else if content_type.starts_with("application/x-ndjson") || content_type.starts_with("application/jsonl") {
        Format::JsonLines
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "Send a JSON array (`application/json`) or JSON Lines (`application/x-ndjson`).".into(),
        ));
    };
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| crate::http::guard::body_read_error(&e))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::PayloadTooLarge(format!(
                "An import over HTTP is at most {MAX_IMPORT_BYTES} bytes; use `muni import procedures` for more."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let rows = parse(&body, format).map_err(ApiError::BadRequest)?;
    let ImportQuery { site, strict } = query.0;
    let report = db::run(&state.db, move |conn| {
        let site_id = write_transaction(conn, |c| resolve_site(c, &user, site.as_deref()))?;
        repo::import(conn, site_id, rows, "api", strict, 500, |_, _| {})
    })
    .await?;
    if strict && !report.rejected.is_empty() {
        let errors = report
            .rejected
            .iter()
            .flat_map(|r| {
                r.errors
                    .iter()
                    .map(move |e| FieldError::new(format!("rows[{}].{}", r.row, e.field), &e.code, e.message.clone()))
            })
            .collect();
        return Err(ApiError::Validation(errors));
    }
    Ok(web::Json(report))
}

/// Of these procedures, those the public sees, as it sees them (the change feed's payloads).
pub fn public_by_ids(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, serde_json::Value>, ApiError> {
    let rows = repo::public_rows(conn, ids)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let procedures = repo::to_procedures(conn, rows)?;
    ids.into_iter()
        .zip(procedures)
        .map(|(id, p)| Ok((id, serde_json::to_value(&p).map_err(ApiError::internal)?)))
        .collect()
}

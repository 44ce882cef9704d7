//! `GET /api/v1/audit`: the audit log for admins, as pages or as an export.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::model::{AuditEntry, AuditFilter, AuditQuery};
use super::repo;
use crate::auth::{AuthUser, Role};
use crate::db;
use crate::error::ApiError;
use crate::http::{ApiQuery, Fields, ListResponse, Paging, bad_parameter, list_response, parse_instant};
use crate::state::AppState;

/// The most entries one export answers.
const MAX_EXPORT: i64 = 100_000;

/// Read the audit log: who did what, when, from where.
///
/// Every staff write (one entry per write, with the change-log entries it made), sign-ins and
/// failed sign-ins, a reused refresh token, and staff reads of personal data. Newest first; admins
/// bound to a site see what their site's accounts did. `format=jsonl` or `format=csv` exports every
/// entry matching, oldest first.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries, newest first; or, with `format`, the export",
            body = ListResponse<AuditEntry>,
            content(
                (ListResponse<AuditEntry> = "application/json"),
                (String = "application/x-ndjson"),
                (String = "text/csv"),
            ),
            headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                    ("X-Total-Count" = i64, description = "Entries matching, over all pages"))),
        (status = 400, description = "An invalid filter, or an export of more than 100,000 entries"),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    query: ApiQuery<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let query = query.0;
    let export = match query.format.as_deref() {
        None | Some("json") => None,
        Some(format @ ("jsonl" | "csv")) => Some(format.to_owned()),
        Some(_) => return Err(bad_parameter("format", "invalid_value", "must be json, jsonl or csv")),
    };
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<AuditEntry>(query.fields.as_deref())?;
    let zone = state.config.time_zone();
    let filter = AuditFilter {
        site_id: user.site_id,
        actor_id: query.user,
        action: query.action.filter(|a| !a.is_empty()),
        resource: query.resource.filter(|r| !r.is_empty()),
        resource_id: query.resource_id.filter(|r| !r.is_empty()),
        from: query.from.as_deref().map(|v| parse_instant("from", v, zone, false)).transpose()?,
        to: query.to.as_deref().map(|v| parse_instant("to", v, zone, true)).transpose()?,
        after_id: query.after_id,
    };
    let Some(format) = export else {
        let (rows, total) =
            db::run(&state.db, move |conn| Ok(repo::list(conn, &filter, false, paging.offset(), paging.limit())?))
                .await?;
        let items: Vec<AuditEntry> = rows.iter().map(|r| r.view()).collect();
        return Ok(list_response(&req, fields.apply(items), total, paging));
    };
    let (rows, total) = db::run(&state.db, move |conn| Ok(repo::list(conn, &filter, true, 0, MAX_EXPORT)?)).await?;
    if total > MAX_EXPORT {
        return Err(bad_parameter(
            "format",
            "invalid_value",
            format!("{total} entries match; an export takes at most {MAX_EXPORT}: narrow it with from, to or after_id"),
        ));
    }
    let entries = rows.iter().map(|r| r.view());
    let (content_type, body) = if format == "csv" {
        ("text/csv; charset=utf-8", csv(entries)?)
    } else {
        ("application/x-ndjson", json_lines(entries))
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header(("X-Total-Count", total.to_string()))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"audit.{format}\"")))
        .body(body))
}

fn json_lines(entries: impl Iterator<Item = AuditEntry>) -> String {
    let mut out = String::new();
    for entry in entries {
        out.push_str(&serde_json::to_string(&entry).unwrap_or_default());
        out.push('\n');
    }
    out
}

fn csv(entries: impl Iterator<Item = AuditEntry>) -> Result<String, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let heading = [
        "id",
        "at",
        "actor_id",
        "actor_role",
        "site_id",
        "action",
        "route",
        "resource",
        "resource_id",
        "changes",
        "request_id",
        "address",
        "user_agent",
        "detail",
        "hash",
    ];
    writer.write_record(heading).map_err(ApiError::internal)?;
    // A cell a spreadsheet would run as a formula is written as text.
    let cell = |v: String| if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v };
    let text = |v: Option<String>| cell(v.unwrap_or_default());
    for e in entries {
        writer
            .write_record([
                e.id.to_string(),
                e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                text(e.actor.as_ref().map(|a| a.id.to_string())),
                text(e.actor.map(|a| a.role)),
                text(e.site_id.map(|s| s.to_string())),
                cell(e.action),
                text(e.route),
                text(e.resource),
                text(e.resource_id),
                serde_json::to_string(&e.changes).unwrap_or_default(),
                text(e.request_id),
                text(e.address),
                text(e.user_agent),
                text(e.detail.map(|d| d.to_string())),
                e.hash.unwrap_or_default(),
            ])
            .map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

//! Site endpoints: public reads, admin writes.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::model::{
    CreateSite, PageUrlsPatch, Site, SiteListQuery, UpdateSite, valid_public_url, validate_code, validate_name,
    validate_time_zone,
};
use super::repo;
use crate::auth::{AuthUser, Role};
use crate::db::{self, write_transaction};
use crate::error::{ApiError, FieldError, unique_as};
use crate::http::{ApiJson, ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::state::AppState;

/// List the sites this deployment serves.
#[utoipa::path(
    tag = "sites",
    params(SiteListQuery),
    responses((status = 200, description = "A page of sites", body = ListResponse<Site>,
        headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                ("X-Total-Count" = i64, description = "Items over all pages"))))
)]
#[get("/sites")]
pub async fn list_sites(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ApiQuery<SiteListQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = Paging::new(query.0.page, query.0.per_page)?;
    let fields = Fields::parse::<Site>(query.0.fields.as_deref())?;
    let (rows, total) =
        db::run(&state.db, move |conn| Ok(repo::list_sites(conn, paging.offset(), paging.limit())?)).await?;
    Ok(list_response(&req, fields.apply(rows.into_iter().map(Site::from).collect()), total, paging))
}

/// One site, by code or id.
#[utoipa::path(
    tag = "sites",
    params(("key" = String, Path, description = "The site's code, or its numeric id")),
    responses(
        (status = 200, description = "The site", body = Site),
        (status = 404, description = "No such site"),
    )
)]
#[get("/sites/{key}")]
pub async fn get_site(state: web::Data<AppState>, key: web::Path<String>) -> Result<web::Json<Site>, ApiError> {
    let key = key.into_inner();
    let row = db::run(&state.db, move |conn| Ok(repo::find_site(conn, &key)?)).await?;
    row.map(|r| web::Json(r.into())).ok_or_else(|| ApiError::not_found("site"))
}

/// Add a site (admins not bound to a site).
#[utoipa::path(
    tag = "sites",
    request_body = CreateSite,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it", body = Site,
            headers(("Location" = String, description = "URL of the new site"))),
        (status = 409, description = "The code is taken"),
    )
)]
#[post("/sites")]
pub async fn create_site(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateSite>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    user.require_site(None)?;
    let CreateSite { code, name, time_zone } = body.0;
    let code = code.trim().to_owned();
    let time_zone = time_zone.unwrap_or_else(|| "Asia/Ho_Chi_Minh".into());
    let mut errors = vec![];
    validate_code(&code, &mut errors);
    validate_name(&name, &mut errors);
    validate_time_zone(&time_zone, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let row = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| repo::insert_site(c, &code, name.trim(), &time_zone)).map_err(unique_as("code"))
    })
    .await?;
    let site = Site::from(row);
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/sites/{}", site.code))).json(site))
}

/// Change a site's name or time zone (admins; a site-bound admin only its own site).
#[utoipa::path(
    tag = "sites",
    params(("key" = String, Path, description = "The site's code, or its numeric id")),
    request_body = UpdateSite,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated site", body = Site),
        (status = 404, description = "No such site"),
    )
)]
#[patch("/sites/{key}")]
pub async fn update_site(
    state: web::Data<AppState>,
    user: AuthUser,
    key: web::Path<String>,
    body: ApiJson<UpdateSite>,
) -> Result<web::Json<Site>, ApiError> {
    user.require(&[Role::Admin])?;
    let (input, key) = (body.0, key.into_inner());
    let row = db::run(&state.db, move |conn| write_transaction(conn, |c| change_site(c, &user, &key, input))).await?;
    Ok(web::Json(row.into()))
}

/// Checks and applies a change to a site, in the caller's transaction.
fn change_site(
    c: &mut crate::db::DbConn,
    user: &AuthUser,
    key: &str,
    input: UpdateSite,
) -> Result<super::model::SiteRow, ApiError> {
    let UpdateSite { name, time_zone, public_url, page_urls } = input;
    let mut errors = vec![];
    if let Some(name) = &name {
        validate_name(name, &mut errors);
    }
    if let Some(tz) = &time_zone {
        validate_time_zone(tz, &mut errors);
    }
    let public_url = match public_url {
        Some(Some(url)) => match valid_public_url(url.trim()) {
            Some(url) => Some(Some(url)),
            None => {
                errors.push(FieldError::new(
                    "public_url",
                    "invalid_format",
                    "must be an http(s) address such as https://phuong.example.vn, without query or fragment",
                ));
                None
            }
        },
        other => other,
    };
    if let Some(page_urls) = &page_urls {
        page_urls.validate(&mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let site = repo::find_site_for_write(c, key)?.ok_or_else(|| ApiError::not_found("site"))?;
    user.require_site(Some(site.id))?;
    // The templates set so far, with this change; stored only when something is set.
    let page_urls = page_urls.map(|change| {
        let set: PageUrlsPatch =
            site.page_urls.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
        let merged = set.merged(change);
        (merged != PageUrlsPatch::default()).then(|| serde_json::to_string(&merged).unwrap_or_default())
    });
    let change = repo::SiteChange {
        name: name.as_deref().map(str::trim),
        time_zone: time_zone.as_deref(),
        public_url: public_url.as_ref().map(|u| u.as_deref()),
        page_urls: page_urls.as_ref().map(|p| p.as_deref()),
    };
    Ok(repo::update_site(c, site.id, &change)?)
}

/// Puts back a revision's content of a site (see `crate::revisions`): its page templates as they
/// were, the ones it had not set back to the defaults.
pub fn restore_revision(
    c: &mut crate::db::DbConn,
    user: &AuthUser,
    id: i64,
    content: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    let mut content = content.clone();
    let templates = content.remove("page_urls").filter(|v| v.is_object()).unwrap_or_else(|| serde_json::json!({}));
    let templates = ["article", "category", "procedure", "question", "event"]
        .into_iter()
        .map(|kind| (kind.to_owned(), templates.get(kind).cloned().unwrap_or(serde_json::Value::Null)))
        .collect();
    content.insert("page_urls".into(), serde_json::Value::Object(templates));
    change_site(c, user, &id.to_string(), crate::http::from_revision(&content)?)?;
    Ok(())
}

/// These sites as the public sees them (the change feed's payloads).
pub fn public_by_ids(
    conn: &mut crate::db::DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, serde_json::Value>, ApiError> {
    repo::rows_by_ids(conn, ids)?
        .into_iter()
        .map(|row| {
            let site = Site::from(row);
            Ok((site.id, serde_json::to_value(&site).map_err(ApiError::internal)?))
        })
        .collect()
}

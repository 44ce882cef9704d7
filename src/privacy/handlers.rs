//! `GET /api/v1/privacy-notice`, its versions, and publishing a new one.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::model::{
    DEFAULT_BODY, DEFAULT_TITLE, DEFAULT_VERSION, NewPrivacyNotice, NoticeListQuery, NoticeQuery, NoticeRow,
    PrivacyNotice,
};
use super::repo::{self, NewNotice};
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, unique_as};
use crate::http::{ApiJson, ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::sites::model::{SiteRef, SiteRow};
use crate::state::AppState;

/// The site a reader names, or the only one; a query's fault is a 400 that names `site`.
fn site_of(conn: &mut DbConn, code: Option<&str>) -> Result<SiteRow, ApiError> {
    let id = crate::citizen::submission_site(conn, code).map_err(|e| match e {
        ApiError::Validation(errors) => {
            ApiError::BadRequestFields { detail: "Name the site with `site`.".into(), errors }
        }
        other => other,
    })?;
    crate::sites::find_site_by_id(conn, id)?.ok_or_else(|| ApiError::not_found("site"))
}

fn notice(site: &SiteRow, row: Option<NoticeRow>, current: bool) -> PrivacyNotice {
    let site_ref = SiteRef { id: site.id, code: site.code.clone(), name: site.name.clone() };
    match row {
        Some(row) => PrivacyNotice {
            site: site_ref,
            version: row.version,
            title: row.title,
            body: row.body,
            published_at: Some(row.published_at.and_utc()),
            current,
        },
        None => PrivacyNotice {
            site: site_ref,
            version: DEFAULT_VERSION.into(),
            title: DEFAULT_TITLE.into(),
            body: DEFAULT_BODY.into(),
            published_at: None,
            current: true,
        },
    }
}

/// The site's privacy notice in force: show it with a feedback or question form, and send its
/// `version` as `consent_notice_version`.
#[utoipa::path(
    tag = "feedback",
    params(NoticeQuery),
    responses((status = 200, description = "The notice in force", body = PrivacyNotice))
)]
#[get("/privacy-notice")]
pub async fn get_privacy_notice(
    state: web::Data<AppState>,
    query: ApiQuery<NoticeQuery>,
) -> Result<web::Json<PrivacyNotice>, ApiError> {
    let found = db::run(&state.db, move |conn| {
        let site = site_of(conn, query.0.site.as_deref())?;
        let row = repo::current(conn, site.id)?;
        Ok(notice(&site, row, true))
    })
    .await?;
    Ok(web::Json(found))
}

/// Every version of the site's privacy notice, newest first: what each citizen consented to.
#[utoipa::path(
    tag = "feedback",
    params(NoticeListQuery),
    responses((status = 200, description = "A page of versions", body = ListResponse<PrivacyNotice>))
)]
#[get("/privacy-notice/versions")]
pub async fn list_privacy_notices(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<NoticeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<PrivacyNotice>(query.fields.as_deref())?;
    let (items, total) = db::run(&state.db, move |conn| {
        let site = site_of(conn, query.site.as_deref())?;
        let (rows, total) = repo::versions(conn, site.id, paging.offset(), paging.limit())?;
        if total == 0 {
            return Ok((vec![notice(&site, None, true)], 1));
        }
        let first = paging.offset() == 0;
        let items =
            rows.into_iter().enumerate().map(|(i, row)| notice(&site, Some(row), first && i == 0)).collect::<Vec<_>>();
        Ok((items, total))
    })
    .await?;
    Ok(list_response(&req, fields.apply(items), total, paging))
}

/// Publish a new version of a site's notice (admins). It takes effect at once: from now on,
/// submissions must name it.
#[utoipa::path(
    tag = "feedback",
    request_body = NewPrivacyNotice,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Published; now in force", body = PrivacyNotice),
        (status = 409, description = "The site already has this version"),
    )
)]
#[post("/privacy-notice")]
pub async fn publish_privacy_notice(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<NewPrivacyNotice>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let input = body.0;
    let errors = input.validate();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let published = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let site = match input.site.as_deref() {
                Some(code) => crate::sites::find_site(c, code)?
                    .ok_or_else(|| ApiError::invalid("site", "not_found", "no site has this code"))?,
                None => {
                    let id = crate::sites::site_for_write(c, &user, None)?;
                    crate::sites::find_site_by_id(c, id)?.ok_or_else(|| ApiError::not_found("site"))?
                }
            };
            user.require_site(Some(site.id))?;
            let new = NewNotice {
                site_id: site.id,
                version: input.version.trim(),
                title: input.title.trim(),
                body: input.body.trim(),
                user_id: user.id,
            };
            let row = repo::insert(c, &new).map_err(unique_as("version"))?;
            Ok(notice(&site, Some(row), true))
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(published))
}

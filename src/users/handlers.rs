//! User management endpoints (admins only).

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::model::{
    CreateUser, ResetPassword, UpdateUser, User, UserListQuery, normalize_email, validate_display_name, validate_email,
    validate_password,
};
use super::repo::{self, NewUser, UserChanges, UserFilter};
use crate::auth::{AuthUser, Role, tokens};
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError, unique_as};
use crate::http::{ApiJson, ApiQuery, Fields, ListResponse, Paging, list_response};
use crate::sites;
use crate::state::AppState;

/// List staff accounts (admins). A site-bound admin sees the accounts of its site.
#[utoipa::path(
    tag = "users",
    params(UserListQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of users", body = ListResponse<User>,
        headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                ("X-Total-Count" = i64, description = "Items over all pages"))))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    query: ApiQuery<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<User>(query.fields.as_deref())?;
    let (users, total) = db::run(&state.db, move |conn| {
        let mut site_id = match &query.site {
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
        if let Some(own) = user.site_id {
            if site_id.is_some_and(|s| s != own) {
                return Ok((vec![], 0));
            }
            site_id = Some(own);
        }
        let filter = UserFilter {
            role: query.role.map(|r| r.as_str().to_owned()),
            site_id,
            active: query.active,
            q: query.q.filter(|q| !q.trim().is_empty()),
        };
        Ok(repo::list_users(conn, &filter, paging.offset(), paging.limit())?)
    })
    .await?;
    Ok(list_response(&req, fields.apply(users), total, paging))
}

/// Create a staff account (admins).
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it", body = User,
            headers(("Location" = String, description = "URL of the new user"))),
        (status = 409, description = "The email is taken"),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let CreateUser { email, display_name, role, site_id, password } = body.0;
    let email = normalize_email(&email);
    let mut errors = vec![];
    validate_email(&email, &mut errors);
    validate_display_name(&display_name, &mut errors);
    errors.extend(validate_password("password", &password).err());
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    user.require_site(site_id)?;
    let hash = web::block(move || tokens::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let created = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            check_site_exists(c, site_id)?;
            let new = NewUser {
                email: &email,
                display_name: display_name.trim(),
                password_hash: &hash,
                role: role.as_str(),
                site_id,
            };
            let id = repo::insert_user(c, &new).map_err(unique_as("email"))?;
            repo::find_user(c, id)
        })
    })
    .await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/users/{}", created.id))).json(created))
}

fn check_site_exists(conn: &mut DbConn, site_id: Option<i64>) -> Result<(), ApiError> {
    if let Some(id) = site_id
        && sites::find_site_by_id(conn, id)?.is_none()
    {
        return Err(ApiError::invalid("site_id", "not_found", "no site has this id"));
    }
    Ok(())
}

/// Loads a user the admin may manage; others are 404, as if they did not exist.
fn find_managed_user(conn: &mut DbConn, admin: &AuthUser, id: i64) -> Result<User, ApiError> {
    let target = repo::find_user(conn, id)?;
    if !admin.covers_site(target.site.as_ref().map(|s| s.id)) {
        return Err(ApiError::not_found("user"));
    }
    Ok(target)
}

/// One staff account (admins).
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "No such user"),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<User>, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let found = db::run(&state.db, move |conn| find_managed_user(conn, &user, id)).await?;
    Ok(web::Json(found))
}

/// Change an account's name, role, site or active flag (admins).
///
/// Disabling an account ends its sessions; a changed role makes its tokens stop working, so the
/// user signs in again with the new role.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = UpdateUser,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated user", body = User),
        (status = 404, description = "No such user"),
        (status = 409, description = "The change would leave no active admin for every site"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateUser>,
) -> Result<web::Json<User>, ApiError> {
    user.require(&[Role::Admin])?;
    let UpdateUser { display_name, role, site_id, active } = body.0;
    let mut errors = vec![];
    if let Some(name) = &display_name {
        validate_display_name(name, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(site_id) = site_id {
        user.require_site(site_id)?;
    }
    let id = id.into_inner();
    let updated = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let target = find_managed_user(c, &user, id)?;
            if let Some(site_id) = site_id {
                check_site_exists(c, site_id)?;
            }
            let loses_global_admin = target.role == Role::Admin
                && target.site.is_none()
                && target.active
                && (role.is_some_and(|r| r != Role::Admin)
                    || active == Some(false)
                    || site_id.is_some_and(|s| s.is_some()));
            // Locked, so that two admins demoting each other at once cannot both pass the count.
            if loses_global_admin {
                db::lock_rows(c, "users", "role = 'admin' AND site_id IS NULL AND active")?;
            }
            if loses_global_admin && repo::count_global_admins(c)? <= 1 {
                return Err(ApiError::Conflict(
                    "This is the last active admin for every site; keep at least one.".into(),
                ));
            }
            let changes = UserChanges {
                display_name: display_name.map(|n| n.trim().to_owned()),
                role: role.map(|r| r.as_str().to_owned()),
                site_id,
                active,
            };
            repo::update_user(c, id, &changes)?;
            if active == Some(false) {
                crate::auth::revoke_user_sessions(c, id, None)?;
            }
            repo::find_user(c, id)
        })
    })
    .await?;
    Ok(web::Json(updated))
}

/// Set a new password for an account (admins). Every session of that user ends.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = ResetPassword,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Password set, sessions ended"),
        (status = 404, description = "No such user"),
    )
)]
#[post("/users/{id}/reset-password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<ResetPassword>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let password = body.0.password;
    validate_password("password", &password).map_err(|e| ApiError::Validation(vec![e]))?;
    let hash = web::block(move || tokens::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let id = id.into_inner();
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            find_managed_user(c, &user, id)?;
            repo::set_password_hash(c, id, &hash)?;
            crate::auth::revoke_user_sessions(c, id, None)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

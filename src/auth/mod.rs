//! Authentication: login, token refresh with rotation, logout, the current user, and the
//! [`AuthUser`] extractor that every write handler takes.

mod handlers;
pub mod model;
pub mod repo;
pub mod tokens;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::state::AppState;

pub use handlers::{change_password, login, logout, me, refresh};

pub use crate::users::model::Role;

/// Sign-in and sessions as other modules use them: ending a user's sessions, and the upkeep of the throttle.
pub use repo::{forget_old_throttles, revoke_user_sessions};

/// The user behind a valid access token, checked against the database on every request:
/// the account is active, its session is not revoked, and its role has not changed.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The site the user is bound to; `None` for every site.
    pub site_id: Option<i64>,
    pub session_id: String,
}

impl AuthUser {
    /// Refuses (403) unless the user has one of `roles`; admins always pass.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("The {} role may not do this.", self.role.as_str())))
        }
    }

    /// Whether the user may act on content of `site_id` (`None`: content of no single site).
    pub fn covers_site(&self, site_id: Option<i64>) -> bool {
        match self.site_id {
            None => true,
            Some(own) => site_id == Some(own),
        }
    }

    /// Refuses (403) unless the user may act on `site_id`.
    pub fn require_site(&self, site_id: Option<i64>) -> Result<(), ApiError> {
        if self.covers_site(site_id) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("This account is bound to another site.".into()))
        }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state is missing"))?;
            let token = token?;
            let claims = state.tokens.verify(&token).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                ApiError::Unauthorized(match e.kind() {
                    ErrorKind::ExpiredSignature => "The access token has expired; refresh it or sign in again.".into(),
                    _ => "The access token is invalid.".into(),
                })
            })?;
            let user_id: i64 =
                claims.sub.parse().map_err(|_| ApiError::Unauthorized("The access token is invalid.".into()))?;
            let session_id = claims.sid.clone();
            let found =
                crate::db::run(&state.db, move |conn| Ok(repo::find_session_user(conn, user_id, &session_id)?)).await?;
            let (user, session) = found
                .ok_or_else(|| ApiError::Unauthorized("The session of this token has ended; sign in again.".into()))?;
            if session.revoked_at.is_some() {
                return Err(ApiError::Unauthorized("The session of this token has ended; sign in again.".into()));
            }
            if !user.active {
                return Err(ApiError::Unauthorized("This account is disabled.".into()));
            }
            if user.role != claims.role {
                return Err(ApiError::Unauthorized("The account's role has changed; sign in again.".into()));
            }
            let role =
                Role::parse(&user.role).ok_or_else(|| ApiError::internal(format!("unknown role {}", user.role)))?;
            crate::db::witness::acting(crate::db::witness::Actor {
                user_id: user.id,
                role: user.role.clone(),
                site_id: user.site_id,
            });
            Ok(AuthUser { id: user.id, email: user.email, role, site_id: user.site_id, session_id: session.id })
        })
    }
}

/// The caller of a public read: `None` without an `Authorization` header, the user with a valid
/// token, and a 401 with an invalid one (a bad token is never silently read as anonymous).
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !req.headers().contains_key(header::AUTHORIZATION) {
            return Box::pin(async { Ok(MaybeUser(None)) });
        }
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move { user.await.map(|u| MaybeUser(Some(u))) })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("This endpoint needs an access token: `Authorization: Bearer <token>`.".into())
    })?;
    let value = value.to_str().map_err(|_| ApiError::Unauthorized("The Authorization header is malformed.".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized("The Authorization header must use the Bearer scheme.".into())),
    }
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(login).service(refresh).service(logout).service(me).service(change_password);
}

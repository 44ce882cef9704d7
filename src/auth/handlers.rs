//! Login, refresh, logout, the current user and password change.

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;

use super::model::{ChangePasswordRequest, LoginRequest, LogoutQuery, RefreshRequest, TokenResponse};
use super::{AuthUser, repo, tokens};
use crate::db::witness;
use crate::db::{self, write_transaction};
use crate::error::{ApiError, FieldError};
use crate::http::{ApiJson, ApiQuery};
use crate::limits::RateLimited;
use crate::state::AppState;
use crate::users;
use crate::users::model::{User, UserRow};

const BAD_CREDENTIALS: &str = "The email or password is incorrect.";

/// Sign in with email and password.
///
/// Answers an access token and a refresh token. A wrong email and a wrong password answer alike.
/// Repeated failures for one account from one client address lock that pair for a while (429), whether
/// or not the account exists; failures from many addresses only slow the account's sign-ins down
/// (by up to two seconds), and never those from an address it signed in from before. Each client
/// address is also rate-limited.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong email or password, or a disabled account"),
        (status = 429, description = "Too many attempts from this address, or for this account from this address; see `Retry-After`"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    limit: RateLimited,
    req: actix_web::HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let _ = limit;
    let LoginRequest { email, password } = body.0;
    // Bounded before any work: an email is at most 254 characters (RFC 5321).
    if email.chars().count() > users::model::MAX_EMAIL_LEN {
        return Err(ApiError::invalid("email", "too_long", "must be at most 254 characters"));
    }
    let email = users::model::normalize_email(&email);
    if email.is_empty() || password.is_empty() || password.len() > users::model::MAX_PASSWORD_LEN {
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS.into()));
    }
    let address = state.limits.client_ip(&req).map_or_else(String::new, |ip| ip.to_string());
    let keys = std::sync::Arc::new(repo::ThrottleKeys::new(&email, &address));
    let (key, read_keys) = (email.clone(), keys.clone());
    let (throttle, user) = db::run(&state.db, move |conn| {
        Ok((repo::throttle_state(conn, &read_keys)?, users::find_user_by_email(conn, &key)?))
    })
    .await?;
    if let Some(until) = throttle.pair_locked_until {
        return Err(locked(until));
    }
    if let Some(delay) = slow_down(&throttle, state.config.login_max_failures) {
        actix_web::rt::time::sleep(delay).await;
    }
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = web::block(move || match hash {
        Some(hash) => tokens::verify_password(&password, &hash),
        None => {
            tokens::verify_against_dummy(&password);
            false
        }
    })
    .await
    .map_err(ApiError::internal)?;
    let max_failures = state.config.login_max_failures as i32;
    let user = match user {
        Some(user) if password_ok && user.active => user,
        _ => {
            // Recorded with the email tried (never the password), in the throttle's transaction.
            witness::note("auth.login_failed", Some(serde_json::json!({"email": email})));
            let keys = keys.clone();
            let throttle = db::run(&state.db, move |conn| {
                Ok(write_transaction(conn, |c| repo::record_login_failure(c, &keys, max_failures))?)
            })
            .await?;
            return Err(match throttle.locked_until {
                Some(until) => locked(until),
                None => ApiError::Unauthorized(BAD_CREDENTIALS.into()),
            });
        }
    };
    witness::acting(witness::Actor { user_id: user.id, role: user.role.clone(), site_id: user.site_id });
    witness::note("auth.login", None);
    let ttl = state.tokens.refresh_ttl_secs;
    let refresh_token = tokens::new_refresh_token();
    let refresh_hash = tokens::hash_refresh_token(&refresh_token);
    let (session, user) = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            repo::record_login_success(c, &keys)?;
            users::touch_last_login(c, user.id)?;
            let session = repo::create_session(c, user.id, ttl, &refresh_hash)?;
            Ok::<_, ApiError>((session, users::find_user(c, user.id)?))
        })
    })
    .await?;
    token_response(&state, &user, &session.id, refresh_token).map(web::Json)
}

/// The delay before checking a password for an account that many addresses failed to sign in to
/// lately: 250 ms more per failure past twice the per-address limit, at most 2 s; none for an
/// address the account signed in from before. A delay, not a lock: the owner always gets in.
fn slow_down(throttle: &repo::ThrottleState, max_failures: u32) -> Option<std::time::Duration> {
    let threshold = 2 * max_failures.max(1) as i32;
    if throttle.known_address || throttle.account_failures < threshold {
        return None;
    }
    let steps = (throttle.account_failures - threshold + 1).min(8) as u64;
    Some(std::time::Duration::from_millis(250 * steps))
}

fn locked(until: chrono::NaiveDateTime) -> ApiError {
    let secs = (until - Utc::now().naive_utc()).num_seconds().max(1) as u64;
    ApiError::TooManyRequests {
        detail: format!("Too many failed sign-ins for this account; try again in {secs} seconds."),
        retry_after_secs: secs,
    }
}

fn token_response(
    state: &AppState,
    user: &User,
    session_id: &str,
    refresh_token: String,
) -> Result<TokenResponse, ApiError> {
    let access_token = state.tokens.issue(user.id, user.role.as_str(), session_id).map_err(ApiError::internal)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.access_ttl_secs,
        refresh_token,
        refresh_expires_in: state.tokens.refresh_ttl_secs,
        user: user.clone(),
    })
}

/// Exchange a refresh token for a new access token and refresh token.
///
/// A refresh token works once. Presenting one that was already used ends its whole session
/// (every token issued from that login), since it means the token was copied.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "Unknown, used, expired or revoked refresh token"),
        (status = 429, description = "Too many requests from this address"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    _limit: RateLimited,
    body: ApiJson<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    enum Outcome {
        Rotated(Box<User>, String),
        Refused(&'static str),
    }
    let presented_hash = tokens::hash_refresh_token(body.0.refresh_token.trim());
    let new_token = tokens::new_refresh_token();
    let new_hash = tokens::hash_refresh_token(&new_token);
    let ttl = state.tokens.refresh_ttl_secs;
    let outcome = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let Some((token, session, user)) = repo::find_refresh_token(c, &presented_hash)? else {
                return Ok(Outcome::Refused("The refresh token is not valid."));
            };
            if session.revoked_at.is_some() {
                return Ok(Outcome::Refused("The session of this refresh token has ended; sign in again."));
            }
            if !repo::consume_refresh_token(c, token.id)? {
                log::warn!("refresh token reuse for user {}: session {} revoked", user.id, session.id);
                witness::acting(witness::Actor { user_id: user.id, role: user.role.clone(), site_id: user.site_id });
                witness::note("auth.refresh_reused", Some(serde_json::json!({"session": session.id})));
                repo::revoke_session(c, &session.id)?;
                return Ok(Outcome::Refused(
                    "This refresh token was already used; the session has been ended for safety.",
                ));
            }
            if session.expires_at <= crate::db::now() {
                return Ok(Outcome::Refused("The refresh token has expired; sign in again."));
            }
            if !user.active {
                return Ok(Outcome::Refused("This account is disabled."));
            }
            repo::insert_refresh_token(c, &session.id, &new_hash)?;
            repo::extend_session(c, &session.id, ttl)?;
            Ok::<_, ApiError>(Outcome::Rotated(Box::new(users::find_user(c, user.id)?), session.id))
        })
    })
    .await?;
    match outcome {
        Outcome::Rotated(user, session_id) => token_response(&state, &user, &session_id, new_token).map(web::Json),
        Outcome::Refused(why) => Err(ApiError::Unauthorized(why.into())),
    }
}

/// Sign out: end the current session (or, with `all=true`, every session of the user).
///
/// The session's refresh tokens stop working at once, and so do its access tokens.
#[utoipa::path(
    tag = "auth",
    params(LogoutQuery),
    security(("bearer" = [])),
    responses((status = 204, description = "Signed out"))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    query: ApiQuery<LogoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let all = query.0.all;
    db::run(&state.db, move |conn| {
        if all {
            repo::revoke_user_sessions(conn, user.id, None)?;
        } else {
            repo::revoke_session(conn, &user.session_id)?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The user behind the token", body = User))
)]
#[get("/auth/me")]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<User>, ApiError> {
    let user = db::run(&state.db, move |conn| users::find_user(conn, user.id)).await?;
    Ok(web::Json(user))
}

/// Change one's own password. Every other session of the user ends.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses((status = 204, description = "Password changed"))
)]
#[post("/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ChangePasswordRequest { current_password, new_password } = body.0;
    users::model::validate_password("new_password", &new_password).map_err(|e| ApiError::Validation(vec![e]))?;
    let user_id = user.id;
    let row: UserRow = db::run(&state.db, move |conn| Ok(users::find_user_row(conn, user_id)?)).await?;
    let new_hash = web::block(move || {
        if !tokens::verify_password(&current_password, &row.password_hash) {
            return Ok(None);
        }
        tokens::hash_password(&new_password).map(Some)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let Some(new_hash) = new_hash else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "current_password",
            "invalid_value",
            "does not match the current password",
        )]));
    };
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            users::set_password_hash(c, user.id, &new_hash)?;
            repo::revoke_user_sessions(c, user.id, Some(&user.session_id))?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::slow_down;
    use crate::auth::repo::ThrottleState;

    fn after(account_failures: i32, known_address: bool) -> Option<Duration> {
        slow_down(&ThrottleState { pair_locked_until: None, account_failures, known_address }, 3)
    }

    #[test]
    fn failures_from_many_addresses_slow_sign_ins_down_with_a_low_cap() {
        assert_eq!(after(5, false), None, "under twice the per-address limit");
        assert_eq!(after(6, false), Some(Duration::from_millis(250)));
        assert_eq!(after(8, false), Some(Duration::from_millis(750)));
        assert_eq!(after(10_000, false), Some(Duration::from_secs(2)), "never more than 2 s");
        assert_eq!(after(10_000, true), None, "an address the account signed in from is not slowed");
    }
}

//! Queries for sessions, refresh tokens and login throttling.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::model::{LoginThrottleRow, RefreshTokenRow, SessionRow};
use crate::db::DbConn;
use crate::db::schema::{login_throttles, refresh_tokens, sessions, users};
use crate::users::model::UserRow;

pub fn now() -> NaiveDateTime {
    crate::db::now()
}

/// The user and session named by an access token, if the session belongs to that user.
pub fn find_session_user(
    conn: &mut DbConn,
    user_id: i64,
    session_id: &str,
) -> QueryResult<Option<(UserRow, SessionRow)>> {
    users::table
        .inner_join(sessions::table)
        .filter(users::id.eq(user_id))
        .filter(sessions::id.eq(session_id))
        .select((UserRow::as_select(), SessionRow::as_select()))
        .first(conn)
        .optional()
}

/// Starts a session for a user and returns it with its first refresh token's hash stored.
pub fn create_session(conn: &mut DbConn, user_id: i64, ttl_secs: i64, token_hash: &str) -> QueryResult<SessionRow> {
    let now = now();
    let session = SessionRow {
        id: uuid::Uuid::new_v4().to_string(),
        user_id,
        created_at: now,
        expires_at: now + Duration::seconds(ttl_secs),
        revoked_at: None,
    };
    diesel::insert_into(sessions::table).values(&session).execute(conn)?;
    insert_refresh_token(conn, &session.id, token_hash)?;
    Ok(session)
}

pub fn insert_refresh_token(conn: &mut DbConn, session_id: &str, token_hash: &str) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_refresh_token(
    conn: &mut DbConn,
    token_hash: &str,
) -> QueryResult<Option<(RefreshTokenRow, SessionRow, UserRow)>> {
    refresh_tokens::table
        .inner_join(sessions::table.inner_join(users::table))
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select((RefreshTokenRow::as_select(), SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()
}

/// Marks a refresh token used; false when it already was (a replay).
pub fn consume_refresh_token(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        refresh_tokens::table.filter(refresh_tokens::id.eq(id)).filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(now()))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn extend_session(conn: &mut DbConn, session_id: &str, ttl_secs: i64) -> QueryResult<()> {
    diesel::update(sessions::table.find(session_id))
        .set(sessions::expires_at.eq(now() + Duration::seconds(ttl_secs)))
        .execute(conn)
        .map(|_| ())
}

pub fn revoke_session(conn: &mut DbConn, session_id: &str) -> QueryResult<usize> {
    diesel::update(sessions::table.find(session_id).filter(sessions::revoked_at.is_null()))
        .set(sessions::revoked_at.eq(now()))
        .execute(conn)
}

/// Ends every session of a user, except `keep` if given.
pub fn revoke_user_sessions(conn: &mut DbConn, user_id: i64, keep: Option<&str>) -> QueryResult<usize> {
    let mut query = diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .into_boxed();
    if let Some(keep) = keep {
        query = query.filter(sessions::id.ne(keep.to_owned()));
    }
    query.set(sessions::revoked_at.eq(now())).execute(conn)
}

pub fn find_throttle(conn: &mut DbConn, email: &str) -> QueryResult<Option<LoginThrottleRow>> {
    login_throttles::table.find(email).select(LoginThrottleRow::as_select()).first(conn).optional()
}

/// How long an account is locked after `failures` failed logins, given the allowed maximum.
pub fn lock_duration(failures: i32, max_failures: i32) -> Option<Duration> {
    if failures < max_failures {
        return None;
    }
    let doublings = (failures - max_failures).min(5) as u32;
    Some(Duration::seconds((30i64 << doublings).min(15 * 60)))
}

/// Counts a failed login for an account key; failures older than 15 minutes are forgotten.
pub fn record_login_failure(conn: &mut DbConn, email: &str, max_failures: i32) -> QueryResult<LoginThrottleRow> {
    let now = now();
    let previous = find_throttle(conn, email)?;
    let failures = match &previous {
        Some(row) if now - row.last_failure_at < Duration::minutes(15) => row.failures + 1,
        _ => 1,
    };
    let row = LoginThrottleRow {
        email: email.to_owned(),
        failures,
        last_failure_at: now,
        locked_until: lock_duration(failures, max_failures).map(|d| now + d),
    };
    if previous.is_some() {
        diesel::update(login_throttles::table.find(email)).set(&row).execute(conn)?;
    } else {
        diesel::insert_into(login_throttles::table).values(&row).execute(conn)?;
    }
    Ok(row)
}

pub fn clear_login_failures(conn: &mut DbConn, email: &str) -> QueryResult<()> {
    diesel::delete(login_throttles::table.find(email)).execute(conn).map(|_| ())
}

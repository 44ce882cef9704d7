//! Queries for sessions, refresh tokens and login throttling.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::model::{LoginThrottleRow, RefreshTokenRow, SessionRow};
use crate::db::DbConn;
use crate::db::now;
use crate::db::schema::{login_throttles, refresh_tokens, sessions, users};
use crate::users::model::UserRow;

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

/// The throttle keys of a sign-in attempt. Each is a SHA-256, so that no email or address, however
/// long, grows the store; the prefix says what it counts.
pub struct ThrottleKeys {
    /// Failures for this account from this client address: locks that pair for a while.
    pub pair: String,
    /// Failures for this account from anywhere: slows attempts down, never locks.
    pub account: String,
    /// This account signed in from this address before: it skips the account's slow-down.
    pub known: String,
}

impl ThrottleKeys {
    pub fn new(email: &str, address: &str) -> Self {
        use sha2::{Digest, Sha256};
        let hash = |parts: &[&str]| -> String {
            let mut hasher = Sha256::new();
            for part in parts {
                hasher.update(part.as_bytes());
                hasher.update([0]);
            }
            hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
        };
        Self {
            pair: format!("pair:{}", hash(&[email, address])),
            account: format!("account:{}", hash(&[email])),
            known: format!("known:{}", hash(&[email, address])),
        }
    }
}

/// Failures are forgotten this long after the last one.
const FAILURE_WINDOW_MINUTES: i64 = 15;
/// An address an account signed in from is remembered this long after the last sign-in.
const KNOWN_DAYS: i64 = 90;
/// Most rows the store keeps; past it the oldest failures are forgotten first.
pub const MAX_THROTTLE_ROWS: i64 = 100_000;

pub fn find_throttle(conn: &mut DbConn, key: &str) -> QueryResult<Option<LoginThrottleRow>> {
    login_throttles::table.find(key).select(LoginThrottleRow::as_select()).first(conn).optional()
}

/// What the store says of an attempt: the pair's lock, the account's recent failures, and whether
/// the address is known to the account.
pub struct ThrottleState {
    pub pair_locked_until: Option<NaiveDateTime>,
    pub account_failures: i32,
    pub known_address: bool,
}

pub fn throttle_state(conn: &mut DbConn, keys: &ThrottleKeys) -> QueryResult<ThrottleState> {
    let now = now();
    let rows: Vec<LoginThrottleRow> = login_throttles::table
        .filter(login_throttles::key.eq_any([&keys.pair, &keys.account, &keys.known]))
        .select(LoginThrottleRow::as_select())
        .load(conn)?;
    let recent = |row: &&LoginThrottleRow| now - row.last_failure_at < Duration::minutes(FAILURE_WINDOW_MINUTES);
    Ok(ThrottleState {
        pair_locked_until: rows.iter().find(|r| r.key == keys.pair).and_then(|r| r.locked_until).filter(|t| *t > now),
        account_failures: rows.iter().filter(|r| r.key == keys.account).find(recent).map_or(0, |r| r.failures),
        known_address: rows.iter().any(|r| r.key == keys.known),
    })
}

/// How long a pair (account, address) is locked after `failures` failed sign-ins, given the allowed
/// maximum: 30 s, doubling, at most 15 minutes.
pub fn lock_duration(failures: i32, max_failures: i32) -> Option<Duration> {
    if failures < max_failures {
        return None;
    }
    let doublings = (failures - max_failures).min(5) as u32;
    Some(Duration::seconds((30i64 << doublings).min(15 * 60)))
}

/// Counts a failed sign-in for the pair and the account; failures older than the window are
/// forgotten. Returns the pair's row (with its lock, if any).
pub fn record_login_failure(
    conn: &mut DbConn,
    keys: &ThrottleKeys,
    max_failures: i32,
) -> QueryResult<LoginThrottleRow> {
    forget_old_throttles(conn)?;
    // Two failures at once may both find no row: the second insert then counts again.
    let pair = crate::db::retry_unique(conn, 3, |c| count_failure(c, &keys.pair, |n| lock_duration(n, max_failures)))?;
    crate::db::retry_unique(conn, 3, |c| count_failure(c, &keys.account, |_| None))?;
    Ok(pair)
}

fn count_failure(
    conn: &mut DbConn,
    key: &str,
    lock: impl Fn(i32) -> Option<Duration>,
) -> QueryResult<LoginThrottleRow> {
    let now = now();
    crate::db::lock_row_by_key(conn, "login_throttles", "key", key)?;
    let previous = find_throttle(conn, key)?;
    let failures = match &previous {
        Some(row) if now - row.last_failure_at < Duration::minutes(FAILURE_WINDOW_MINUTES) => row.failures + 1,
        _ => 1,
    };
    let row = LoginThrottleRow {
        key: key.to_owned(),
        failures,
        last_failure_at: now,
        locked_until: lock(failures).map(|d| now + d),
    };
    if previous.is_some() {
        diesel::update(login_throttles::table.find(key)).set(&row).execute(conn)?;
    } else {
        diesel::insert_into(login_throttles::table).values(&row).execute(conn)?;
    }
    Ok(row)
}

/// After a sign-in: the pair's failures are forgotten and the address is remembered as known.
pub fn record_login_success(conn: &mut DbConn, keys: &ThrottleKeys) -> QueryResult<()> {
    crate::db::retry_unique(conn, 3, |c| {
        diesel::delete(login_throttles::table.filter(login_throttles::key.eq_any([&keys.pair, &keys.known])))
            .execute(c)?;
        let known =
            LoginThrottleRow { key: keys.known.clone(), failures: 0, last_failure_at: now(), locked_until: None };
        diesel::insert_into(login_throttles::table).values(&known).execute(c).map(|_| ())
    })
}

/// Deletes failures past their window and known addresses past theirs, then, if the store is
/// still over its cap, its oldest rows.
pub fn forget_old_throttles(conn: &mut DbConn) -> QueryResult<usize> {
    let now = now();
    let failures_before = now - Duration::minutes(FAILURE_WINDOW_MINUTES);
    let mut forgotten = diesel::delete(
        login_throttles::table
            .filter(login_throttles::last_failure_at.lt(failures_before))
            .filter(login_throttles::key.not_like("known:%"))
            .filter(login_throttles::locked_until.is_null().or(login_throttles::locked_until.lt(now))),
    )
    .execute(conn)?;
    forgotten += diesel::delete(
        login_throttles::table.filter(login_throttles::last_failure_at.lt(now - Duration::days(KNOWN_DAYS))),
    )
    .execute(conn)?;
    let count: i64 = login_throttles::table.count().get_result(conn)?;
    if count > MAX_THROTTLE_ROWS {
        let oldest: Vec<String> = login_throttles::table
            .order(login_throttles::last_failure_at.asc())
            .limit(count - MAX_THROTTLE_ROWS)
            .select(login_throttles::key)
            .load(conn)?;
        forgotten +=
            diesel::delete(login_throttles::table.filter(login_throttles::key.eq_any(oldest))).execute(conn)?;
    }
    Ok(forgotten)
}

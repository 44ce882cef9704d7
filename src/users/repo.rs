//! Queries on users.

use diesel::prelude::*;

use super::model::{User, UserRow};
use crate::db::DbConn;
use crate::db::schema::{sites, users};
use crate::error::ApiError;
use crate::sites::model::{SiteRef, SiteRow};

pub fn find_user_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::email.eq(email)).select(UserRow::as_select()).first(conn).optional()
}

pub fn find_user_row(conn: &mut DbConn, id: i64) -> QueryResult<UserRow> {
    users::table.find(id).select(UserRow::as_select()).first(conn)
}

/// A user with its site, as the API shows it.
pub fn find_user(conn: &mut DbConn, id: i64) -> Result<User, ApiError> {
    users::table
        .left_join(sites::table)
        .filter(users::id.eq(id))
        .select((UserRow::as_select(), Option::<SiteRow>::as_select()))
        .first::<(UserRow, Option<SiteRow>)>(conn)
        .optional()?
        .map(|(user, site)| User::from_row(user, site.map(SiteRef::from)))
        .ok_or_else(|| ApiError::not_found("user"))
}

pub struct UserFilter {
    pub role: Option<String>,
    pub site_id: Option<i64>,
    pub active: Option<bool>,
    pub q: Option<String>,
}

pub fn list_users(conn: &mut DbConn, filter: &UserFilter, offset: i64, limit: i64) -> QueryResult<(Vec<User>, i64)> {
    let query = || {
        let mut query = users::table.left_join(sites::table).into_boxed();
        if let Some(role) = &filter.role {
            query = query.filter(users::role.eq(role.clone()));
        }
        if let Some(site_id) = filter.site_id {
            query = query.filter(users::site_id.eq(site_id));
        }
        if let Some(active) = filter.active {
            query = query.filter(users::active.eq(active));
        }
        if let Some(q) = &filter.q {
            let pattern = crate::db::like_contains(&q.to_lowercase());
            query = query.filter(
                users::email.like(pattern.clone()).escape('\\').or(users::display_name.like(pattern).escape('\\')),
            );
        }
        query
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<(UserRow, Option<SiteRow>)> = query()
        .select((UserRow::as_select(), Option::<SiteRow>::as_select()))
        .order(users::id.asc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows.into_iter().map(|(u, s)| User::from_row(u, s.map(SiteRef::from))).collect(), total))
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub site_id: Option<i64>,
}

pub fn insert_user(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<i64> {
    let now = crate::db::now();
    diesel::insert_into(users::table)
        .values((
            users::email.eq(new.email),
            users::display_name.eq(new.display_name),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role),
            users::site_id.eq(new.site_id),
            users::active.eq(true),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result(conn)
}

pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub site_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

pub fn update_user(conn: &mut DbConn, id: i64, changes: &UserChanges) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            changes.display_name.clone().map(|v| users::display_name.eq(v)),
            changes.role.clone().map(|v| users::role.eq(v)),
            changes.site_id.map(|v| users::site_id.eq(v)),
            changes.active.map(|v| users::active.eq(v)),
            users::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)
}

pub fn set_password_hash(conn: &mut DbConn, id: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(crate::db::now())))
        .execute(conn)
}

pub fn touch_last_login(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::last_login_at.eq(crate::db::now())).execute(conn)
}

pub fn count_users(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// Active admins bound to no site: the ones who can manage everything.
pub fn count_global_admins(conn: &mut DbConn) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::site_id.is_null())
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)
}

/// The display names of these users, by id.
pub fn display_names(conn: &mut DbConn, ids: Vec<i64>) -> QueryResult<std::collections::HashMap<i64, String>> {
    let rows: Vec<(i64, String)> =
        users::table.filter(users::id.eq_any(ids)).select((users::id, users::display_name)).load(conn)?;
    Ok(rows.into_iter().collect())
}

//! The queries of privacy notices.

use diesel::prelude::*;

use super::model::{DEFAULT_VERSION, NoticeRow};
use crate::db::DbConn;
use crate::db::schema::privacy_notices;

/// The site's notice in force: the one published last.
pub fn current(conn: &mut DbConn, site_id: i64) -> QueryResult<Option<NoticeRow>> {
    privacy_notices::table
        .filter(privacy_notices::site_id.eq(site_id))
        .order((privacy_notices::published_at.desc(), privacy_notices::id.desc()))
        .select(NoticeRow::as_select())
        .first(conn)
        .optional()
}

/// The version submissions must name: the current notice's, or the built-in one's.
pub fn current_version(conn: &mut DbConn, site_id: i64) -> QueryResult<String> {
    Ok(current(conn, site_id)?.map_or_else(|| DEFAULT_VERSION.to_owned(), |n| n.version))
}

/// The site's versions, newest first, and how many there are.
pub fn versions(conn: &mut DbConn, site_id: i64, offset: i64, limit: i64) -> QueryResult<(Vec<NoticeRow>, i64)> {
    let mine = privacy_notices::table.filter(privacy_notices::site_id.eq(site_id));
    let total = mine.count().get_result(conn)?;
    let rows = mine
        .order((privacy_notices::published_at.desc(), privacy_notices::id.desc()))
        .select(NoticeRow::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

pub struct NewNotice<'a> {
    pub site_id: i64,
    pub version: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub user_id: i64,
}

pub fn insert(conn: &mut DbConn, new: &NewNotice<'_>) -> QueryResult<NoticeRow> {
    diesel::insert_into(privacy_notices::table)
        .values((
            privacy_notices::site_id.eq(new.site_id),
            privacy_notices::version.eq(new.version),
            privacy_notices::title.eq(new.title),
            privacy_notices::body.eq(new.body),
            privacy_notices::published_at.eq(crate::db::now()),
            privacy_notices::created_by.eq(Some(new.user_id)),
        ))
        .returning(privacy_notices::all_columns)
        .get_result(conn)
}

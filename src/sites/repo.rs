//! Queries on sites.

use diesel::prelude::*;

use super::model::SiteRow;
use crate::db::DbConn;
use crate::db::schema::sites;

/// A site by its code, or by its numeric id when `key` is a number.
pub fn find_site(conn: &mut DbConn, key: &str) -> QueryResult<Option<SiteRow>> {
    let mut query = sites::table.select(SiteRow::as_select()).into_boxed();
    query = match key.parse::<i64>() {
        Ok(id) => query.filter(sites::id.eq(id)),
        Err(_) => query.filter(sites::code.eq(key.to_owned())),
    };
    query.first(conn).optional()
}

pub fn find_site_by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<SiteRow>> {
    sites::table.find(id).select(SiteRow::as_select()).first(conn).optional()
}

pub fn list_sites(conn: &mut DbConn, offset: i64, limit: i64) -> QueryResult<(Vec<SiteRow>, i64)> {
    let total = sites::table.count().get_result(conn)?;
    let rows =
        sites::table.select(SiteRow::as_select()).order(sites::code.asc()).offset(offset).limit(limit).load(conn)?;
    Ok((rows, total))
}

/// The ids of the sites with these codes; unknown codes are returned apart.
pub fn ids_for_codes(conn: &mut DbConn, codes: &[String]) -> QueryResult<(Vec<i64>, Vec<String>)> {
    let found: Vec<(i64, String)> =
        sites::table.filter(sites::code.eq_any(codes)).select((sites::id, sites::code)).load(conn)?;
    let unknown = codes.iter().filter(|c| !found.iter().any(|(_, code)| code == *c)).cloned().collect();
    Ok((found.into_iter().map(|(id, _)| id).collect(), unknown))
}

pub fn insert_site(conn: &mut DbConn, code: &str, name: &str, time_zone: &str) -> QueryResult<SiteRow> {
    let now = crate::db::now();
    diesel::insert_into(sites::table)
        .values((
            sites::code.eq(code),
            sites::name.eq(name),
            sites::time_zone.eq(time_zone),
            sites::created_at.eq(now),
            sites::updated_at.eq(now),
        ))
        .returning(sites::all_columns)
        .get_result(conn)
}

/// A change to a site: `None` leaves a field as it is; `Some(None)` clears a nullable one.
pub struct SiteChange<'a> {
    pub name: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub public_url: Option<Option<&'a str>>,
    pub page_urls: Option<Option<&'a str>>,
}

/// The site by code or id, locked for the rest of the transaction (PostgreSQL).
pub fn find_site_for_write(conn: &mut DbConn, key: &str) -> QueryResult<Option<SiteRow>> {
    let Some(site) = find_site(conn, key)? else { return Ok(None) };
    crate::db::lock_row(conn, "sites", site.id)?;
    sites::table.find(site.id).select(SiteRow::as_select()).first(conn).optional()
}

pub fn update_site(conn: &mut DbConn, id: i64, change: &SiteChange<'_>) -> QueryResult<SiteRow> {
    let now = crate::db::now();
    diesel::update(sites::table.find(id))
        .set((
            change.name.map(|n| sites::name.eq(n.to_owned())),
            change.time_zone.map(|tz| sites::time_zone.eq(tz.to_owned())),
            change.public_url.map(|u| sites::public_url.eq(u.map(str::to_owned))),
            change.page_urls.map(|p| sites::page_urls.eq(p.map(str::to_owned))),
            sites::updated_at.eq(now),
        ))
        .returning(sites::all_columns)
        .get_result(conn)
}

/// Creates the configured site when the deployment has none yet.
pub fn ensure_default_site(conn: &mut DbConn, code: &str, name: &str, time_zone: &str) -> QueryResult<Option<SiteRow>> {
    let count: i64 = sites::table.count().get_result(conn)?;
    if count > 0 {
        return Ok(None);
    }
    insert_site(conn, code, name, time_zone).map(Some)
}

/// The site filter of a public list: the ids of `codes`, or `None` for every site.
/// Unknown codes are a 400 naming them.
pub fn site_filter(conn: &mut DbConn, codes: &[String]) -> Result<Option<Vec<i64>>, crate::error::ApiError> {
    if codes.is_empty() {
        return Ok(None);
    }
    let (ids, unknown) = ids_for_codes(conn, codes)?;
    if !unknown.is_empty() {
        let errors = unknown
            .iter()
            .map(|code| crate::error::FieldError::new("site", "not_found", format!("no site has the code `{code}`")))
            .collect();
        return Err(crate::error::ApiError::BadRequestFields {
            detail: format!("Unknown site: {}.", unknown.join(", ")),
            errors,
        });
    }
    Ok(Some(ids))
}

/// The site a new record goes to: the one given, else the user's own, else the deployment's only site.
pub fn site_for_write(
    conn: &mut DbConn,
    user: &crate::auth::AuthUser,
    given: Option<i64>,
) -> Result<i64, crate::error::ApiError> {
    use crate::error::ApiError;
    let site_id = match (given, user.site_id) {
        (Some(id), _) => id,
        (None, Some(own)) => own,
        (None, None) => {
            let ids: Vec<i64> = sites::table.select(sites::id).limit(2).load(conn)?;
            match ids.as_slice() {
                [only] => *only,
                _ => {
                    return Err(ApiError::invalid(
                        "site_id",
                        "required",
                        "is required when the deployment has several sites",
                    ));
                }
            }
        }
    };
    if find_site_by_id(conn, site_id)?.is_none() {
        return Err(ApiError::invalid("site_id", "not_found", "no site has this id"));
    }
    user.require_site(Some(site_id))?;
    Ok(site_id)
}

/// Short references to the sites with these ids.
pub fn refs_by_id(
    conn: &mut DbConn,
    ids: Vec<i64>,
) -> QueryResult<std::collections::HashMap<i64, crate::sites::model::SiteRef>> {
    Ok(sites::table
        .filter(sites::id.eq_any(ids))
        .select((sites::id, sites::code, sites::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, crate::sites::model::SiteRef { id, code, name }))
        .collect())
}

/// These sites.
pub fn rows_by_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<SiteRow>> {
    sites::table.filter(sites::id.eq_any(ids.to_vec())).select(SiteRow::as_select()).load(conn)
}

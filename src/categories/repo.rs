//! Queries on categories.

use diesel::prelude::*;

use super::model::{Category, CategoryRow};
use crate::db::DbConn;
use crate::db::schema::{articles, categories, sites};
use crate::sites::model::{SiteRef, SiteRow};

/// Every category of the given sites (all sites when `None`), in display order.
pub fn list_all(conn: &mut DbConn, site_ids: Option<&[i64]>) -> QueryResult<Vec<Category>> {
    let mut query = categories::table
        .inner_join(sites::table)
        .select((CategoryRow::as_select(), SiteRow::as_select()))
        .into_boxed();
    if let Some(ids) = site_ids {
        query = query.filter(categories::site_id.eq_any(ids.to_vec()));
    }
    let rows: Vec<(CategoryRow, SiteRow)> = query
        .order((categories::site_id.asc(), categories::position.asc(), categories::name.asc(), categories::id.asc()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(c, s)| Category::from_row(c, SiteRef::from(s))).collect())
}

pub fn find_row(conn: &mut DbConn, id: i64) -> QueryResult<Option<CategoryRow>> {
    categories::table.find(id).select(CategoryRow::as_select()).first(conn).optional()
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Category>> {
    categories::table
        .inner_join(sites::table)
        .filter(categories::id.eq(id))
        .select((CategoryRow::as_select(), SiteRow::as_select()))
        .first::<(CategoryRow, SiteRow)>(conn)
        .optional()
        .map(|found| found.map(|(c, s)| Category::from_row(c, SiteRef::from(s))))
}

/// Categories with this slug, in the given sites (all sites when `None`).
pub fn find_by_slug(conn: &mut DbConn, slug: &str, site_ids: Option<&[i64]>) -> QueryResult<Vec<CategoryRow>> {
    let mut query =
        categories::table.filter(categories::slug.eq(slug.to_owned())).select(CategoryRow::as_select()).into_boxed();
    if let Some(ids) = site_ids {
        query = query.filter(categories::site_id.eq_any(ids.to_vec()));
    }
    query.order(categories::site_id.asc()).load(conn)
}

/// `base`, or `base-2`, `base-3`, ... : the first slug free in the site.
pub fn unique_slug(conn: &mut DbConn, site_id: i64, base: &str, except_id: Option<i64>) -> QueryResult<String> {
    let taken: Vec<String> = categories::table
        .filter(categories::site_id.eq(site_id))
        .filter(categories::slug.eq(base.to_owned()).or(categories::slug.like(format!("{base}-%"))))
        .filter(categories::id.ne(except_id.unwrap_or(-1)))
        .select(categories::slug)
        .load(conn)?;
    let mut candidate = base.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

pub struct NewCategory<'a> {
    pub site_id: i64,
    pub parent_id: Option<i64>,
    pub name: &'a str,
    pub slug: &'a str,
    pub description: &'a str,
    pub position: i32,
}

pub fn insert(conn: &mut DbConn, new: &NewCategory<'_>) -> QueryResult<i64> {
    let now = crate::db::now();
    diesel::insert_into(categories::table)
        .values((
            categories::site_id.eq(new.site_id),
            categories::parent_id.eq(new.parent_id),
            categories::name.eq(new.name),
            categories::slug.eq(new.slug),
            categories::description.eq(new.description),
            categories::position.eq(new.position),
            categories::created_at.eq(now),
            categories::updated_at.eq(now),
        ))
        .returning(categories::id)
        .get_result(conn)
}

pub struct CategoryChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub parent_id: Option<Option<i64>>,
    pub position: Option<i32>,
}

pub fn update(conn: &mut DbConn, id: i64, changes: &CategoryChanges) -> QueryResult<usize> {
    diesel::update(categories::table.find(id))
        .set((
            changes.name.clone().map(|v| categories::name.eq(v)),
            changes.slug.clone().map(|v| categories::slug.eq(v)),
            changes.description.clone().map(|v| categories::description.eq(v)),
            changes.parent_id.map(|v| categories::parent_id.eq(v)),
            changes.position.map(|v| categories::position.eq(v)),
            categories::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)
}

/// The ids of the ancestors of `id`, nearest first.
pub fn ancestors(conn: &mut DbConn, id: i64) -> QueryResult<Vec<i64>> {
    let mut chain = vec![];
    let mut current = id;
    while let Some(parent) =
        categories::table.find(current).select(categories::parent_id).first::<Option<i64>>(conn).optional()?.flatten()
    {
        if chain.contains(&parent) || chain.len() > 1000 {
            break;
        }
        chain.push(parent);
        current = parent;
    }
    Ok(chain)
}

/// `roots` and every category below them, from a loaded list.
pub fn with_descendants(all: &[Category], roots: &[i64]) -> Vec<i64> {
    let mut ids = roots.to_vec();
    let mut i = 0;
    while i < ids.len() {
        let parent = ids[i];
        for child in all.iter().filter(|c| c.parent_id == Some(parent)) {
            if !ids.contains(&child.id) {
                ids.push(child.id);
            }
        }
        i += 1;
    }
    ids
}

pub fn count_children(conn: &mut DbConn, id: i64) -> QueryResult<i64> {
    categories::table.filter(categories::parent_id.eq(id)).count().get_result(conn)
}

/// Articles in the category, tombstones of deleted ones included (they keep their category).
pub fn count_articles(conn: &mut DbConn, id: i64) -> QueryResult<i64> {
    articles::table.filter(articles::category_id.eq(id)).count().get_result(conn)
}

pub fn move_articles(conn: &mut DbConn, from: i64, to: i64) -> QueryResult<usize> {
    diesel::update(articles::table.filter(articles::category_id.eq(from)))
        .set((articles::category_id.eq(to), articles::updated_at.eq(crate::db::now())))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(categories::table.find(id)).execute(conn)
}

/// These categories with their sites (every category is public).
pub fn rows_by_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(CategoryRow, SiteRow)>> {
    categories::table
        .inner_join(sites::table)
        .filter(categories::id.eq_any(ids.to_vec()))
        .select((CategoryRow::as_select(), SiteRow::as_select()))
        .load(conn)
}

/// How many categories a site has (each is a page of its portal).
pub fn count_pages(conn: &mut DbConn, site_id: i64) -> QueryResult<i64> {
    categories::table.filter(categories::site_id.eq(site_id)).count().get_result(conn)
}

/// A slice of a site's categories as pages, by id.
pub fn pages(
    conn: &mut DbConn,
    site_id: i64,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<crate::sites::model::PageEntry>> {
    let rows: Vec<(i64, String, chrono::NaiveDateTime)> = categories::table
        .filter(categories::site_id.eq(site_id))
        .order(categories::id.asc())
        .select((categories::id, categories::slug, categories::updated_at))
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, key, lastmod)| crate::sites::model::PageEntry { id, key, lastmod }).collect())
}

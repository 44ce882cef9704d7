//! Lists of articles: who sees what, filters, sort orders, keyset positions, and full-text search
//! on both backends.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use crate::articles::model::ArticleRow;
use crate::db::schema::{article_counts, article_tags, articles, categories};
use crate::db::{Db, DbConn};

type Boxed<'a> = articles::BoxedQuery<'a, Db>;

/// Who is looking, which decides what is visible.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Published and due (`published_at <= now`), not deleted.
    Public { now: NaiveDateTime },
    /// As `Public`, phrased for a full-text search on SQLite (see [`visible`]).
    PublicSearchSqlite { now: NaiveDateTime },
    /// Every status, not deleted; optionally one status, and only one site for site-bound staff.
    Staff { status: Option<StatusFilter>, own_site: Option<i64>, now: NaiveDateTime },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Draft,
    Published,
    Scheduled,
    Archived,
}

/// A search, as folded words; the last one matches as a prefix.
#[derive(Debug, Clone)]
pub struct Search {
    pub terms: Vec<String>,
}

impl Search {
    pub fn parse(q: &str) -> Option<Self> {
        let folded = crate::text::fold(q);
        let terms: Vec<String> = crate::text::words(&folded).take(12).map(str::to_owned).collect();
        (!terms.is_empty()).then_some(Search { terms })
    }

    /// Whether a folded title holds every word (the last one as a prefix), as the full-text
    /// query restricted to the title would say.
    pub fn in_title(&self, folded_title: &str) -> bool {
        let (last, rest) = self.terms.split_last().expect("a search has a word");
        let mut missing: u16 = (1 << rest.len()) - 1; // a bit per whole word not yet seen
        let mut prefix = false;
        for word in crate::text::words(folded_title) {
            prefix |= word.starts_with(last.as_str());
            for (i, term) in rest.iter().enumerate() {
                if word == term {
                    missing &= !(1 << i);
                }
            }
        }
        missing == 0 && prefix
    }

    fn fts5(&self) -> String {
        let last = self.terms.len() - 1;
        self.terms
            .iter()
            .enumerate()
            .map(|(i, t)| if i == last { format!("\"{t}\"*") } else { format!("\"{t}\"") })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn tsquery(&self) -> String {
        let last = self.terms.len() - 1;
        self.terms
            .iter()
            .enumerate()
            .map(|(i, t)| if i == last { format!("{t}:*") } else { t.clone() })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub site_ids: Option<Vec<i64>>,
    pub category_ids: Option<Vec<i64>>,
    pub tag: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub search: Option<Search>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    PublishedAt,
    Title,
    CreatedAt,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub desc: bool,
}

/// A position in a list sorted by one date key: the last row's key and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset {
    pub key: SortKey,
    pub value: Option<NaiveDateTime>,
    pub id: i64,
}

pub(super) fn visible<'a>(mut query: Boxed<'a>, visibility: &Visibility) -> Boxed<'a> {
    query = query.filter(articles::deleted_at.is_null());
    match visibility {
        Visibility::Public { now } => {
            query.filter(articles::status.eq("published")).filter(articles::published_at.le(*now))
        }
        Visibility::PublicSearchSqlite { now } => {
            // The unary `+` keeps SQLite from walking the listing index: a search is cheaper
            // driven from its full-text matches, looked up by rowid.
            query.filter(
                sql::<Bool>("+articles.status = 'published' AND +articles.published_at <= ")
                    .bind::<diesel::sql_types::Timestamp, _>(*now),
            )
        }
        Visibility::Staff { status, own_site, now } => {
            if let Some(site) = own_site {
                query = query.filter(articles::site_id.eq(*site));
            }
            match status {
                None => query,
                Some(StatusFilter::Draft) => query.filter(articles::status.eq("draft")),
                Some(StatusFilter::Archived) => query.filter(articles::status.eq("archived")),
                Some(StatusFilter::Published) => {
                    query.filter(articles::status.eq("published")).filter(articles::published_at.le(*now))
                }
                Some(StatusFilter::Scheduled) => {
                    query.filter(articles::status.eq("published")).filter(articles::published_at.gt(*now))
                }
            }
        }
    }
}

fn filtered<'a>(filter: &ArticleFilter, visibility: &Visibility, sqlite: bool) -> Boxed<'a> {
    let visibility = match visibility {
        Visibility::Public { now } if sqlite && filter.search.is_some() => {
            &Visibility::PublicSearchSqlite { now: *now }
        }
        other => other,
    };
    let mut query = visible(articles::table.into_boxed(), visibility);
    if let Some(ids) = &filter.site_ids {
        query = query.filter(articles::site_id.eq_any(ids.clone()));
    }
    if let Some(ids) = &filter.category_ids {
        query = query.filter(articles::category_id.eq_any(ids.clone()));
    }
    if let Some(tag) = &filter.tag {
        let tagged = article_tags::table.filter(article_tags::slug.eq(tag.clone())).select(article_tags::article_id);
        query = query.filter(articles::id.eq_any(tagged));
    }
    if let Some(from) = filter.from {
        query = query.filter(articles::published_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(articles::published_at.le(to));
    }
    if let Some(search) = &filter.search {
        query = if sqlite {
            query.filter(
                sql::<Bool>("articles.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ")
                    .bind::<Text, _>(search.fts5())
                    .sql(")"),
            )
        } else {
            query.filter(
                sql::<Bool>("articles.search_vector @@ to_tsquery('simple', ")
                    .bind::<Text, _>(search.tsquery())
                    .sql(")"),
            )
        };
    }
    query
}

/// The list order for explicit sort keys, or newest first (a search without sort keys has its own,
/// see [`search_page`]).
fn order<'a>(mut query: Boxed<'a>, sort: &[SortKey], staff: bool) -> Boxed<'a> {
    let default = [SortKey { field: SortField::PublishedAt, desc: true }];
    let keys = if sort.is_empty() { &default[..] } else { sort };
    for key in keys {
        query = match (key.field, key.desc) {
            (SortField::PublishedAt, desc) => {
                // Staff lists hold drafts without a date: last either way, on both backends. Public
                // lists have none, and ordering by the bare column lets the index do the sorting.
                let q = if staff { query.then_order_by(articles::published_at.is_null().asc()) } else { query };
                if desc {
                    q.then_order_by(articles::published_at.desc())
                } else {
                    q.then_order_by(articles::published_at.asc())
                }
            }
            (SortField::Title, false) => query.then_order_by(articles::search_title.asc()),
            (SortField::Title, true) => query.then_order_by(articles::search_title.desc()),
            (SortField::CreatedAt, false) => query.then_order_by(articles::created_at.asc()),
            (SortField::CreatedAt, true) => query.then_order_by(articles::created_at.desc()),
            (SortField::UpdatedAt, false) => query.then_order_by(articles::updated_at.asc()),
            (SortField::UpdatedAt, true) => query.then_order_by(articles::updated_at.desc()),
        };
    }
    let last_desc = keys.last().is_none_or(|k| k.desc);
    if last_desc { query.then_order_by(articles::id.desc()) } else { query.then_order_by(articles::id.asc()) }
}

/// Rows after a keyset position.
fn after<'a>(query: Boxed<'a>, keyset: &Keyset) -> Boxed<'a> {
    let id = keyset.id;
    let desc = keyset.key.desc;
    macro_rules! past {
        ($col:expr, $value:expr) => {
            if desc {
                query.filter($col.lt($value).or($col.eq($value).and(articles::id.lt(id))))
            } else {
                query.filter($col.gt($value).or($col.eq($value).and(articles::id.gt(id))))
            }
        };
    }
    match (keyset.key.field, keyset.value) {
        (SortField::PublishedAt, Some(v)) => {
            if desc {
                query.filter(
                    articles::published_at
                        .lt(v)
                        .or(articles::published_at.eq(v).and(articles::id.lt(id)))
                        .or(articles::published_at.is_null()),
                )
            } else {
                query.filter(
                    articles::published_at
                        .gt(v)
                        .or(articles::published_at.eq(v).and(articles::id.gt(id)))
                        .or(articles::published_at.is_null()),
                )
            }
        }
        (SortField::PublishedAt, None) => {
            let q = query.filter(articles::published_at.is_null());
            if desc { q.filter(articles::id.lt(id)) } else { q.filter(articles::id.gt(id)) }
        }
        (SortField::CreatedAt, Some(v)) => past!(articles::created_at, v),
        (SortField::UpdatedAt, Some(v)) => past!(articles::updated_at, v),
        _ => query,
    }
}

pub fn is_sqlite(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Sqlite(_))
}

/// Which part of a list to read, and how much of each row.
#[derive(Debug, Clone, Copy)]
pub struct Slice<'a> {
    /// Rows after this position (then `offset` is 0).
    pub keyset: Option<&'a Keyset>,
    pub offset: i64,
    pub limit: i64,
    /// Whether the rows carry their bodies.
    pub with_body: bool,
}

/// A page of article rows and the total matching the filter.
pub fn list(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    visibility: &Visibility,
    sort: &[SortKey],
    slice: Slice,
) -> QueryResult<(Vec<ArticleRow>, i64)> {
    let sqlite = is_sqlite(conn);
    if let (Some(search), [], None) = (&filter.search, sort, slice.keyset) {
        return search_page(conn, filter, search, visibility, slice);
    }
    let total = match public_total(conn, filter, visibility, sqlite)? {
        Some(total) => total,
        None => filtered(filter, visibility, sqlite).count().get_result(conn)?,
    };
    let staff = matches!(visibility, Visibility::Staff { .. });
    let mut query = order(filtered(filter, visibility, sqlite), sort, staff);
    if let Some(keyset) = slice.keyset {
        query = after(query, keyset);
    }
    // The page's ids first, then their rows: sorting carries only the keys, not every matching
    // article's body (thousands for a common search word), which is what made search slow and big.
    let ids: Vec<i64> = query.select(articles::id).offset(slice.offset).limit(slice.limit).load(conn)?;
    Ok((rows_in_order(conn, &ids, visibility, slice.with_body)?, total))
}

/// The public articles in some categories or sites (or all), from the maintained counts: those
/// published less those scheduled for later (a handful, through the listing index). `None` for a
/// list with other filters, which is counted row by row.
fn public_total(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    visibility: &Visibility,
    sqlite: bool,
) -> QueryResult<Option<i64>> {
    let Visibility::Public { now } = visibility else { return Ok(None) };
    if filter.tag.is_some() || filter.from.is_some() || filter.to.is_some() || filter.search.is_some() {
        return Ok(None);
    }
    let mut counts = article_counts::table.select(article_counts::published).into_boxed();
    if let Some(ids) = &filter.category_ids {
        counts = counts.filter(article_counts::category_id.eq_any(ids.clone()));
    }
    if let Some(ids) = &filter.site_ids {
        let of_sites = categories::table.filter(categories::site_id.eq_any(ids.clone())).select(categories::id);
        counts = counts.filter(article_counts::category_id.eq_any(of_sites));
    }
    let published: i64 = counts.load::<i64>(conn)?.into_iter().sum();
    let later = Visibility::Staff { status: Some(StatusFilter::Scheduled), own_site: None, now: *now };
    let scheduled: i64 = filtered(filter, &later, sqlite).count().get_result(conn)?;
    Ok(Some(published - scheduled))
}

/// A search in its own order (title matches first, then newest): the matches' sort keys are read
/// once and both the total and the page come from them. Counting and sorting in SQL ran the
/// full-text query three times (count, match, title match) for the same few thousand rows, and
/// PostgreSQL parsed every matching title again to tell title matches.
fn search_page(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    search: &Search,
    visibility: &Visibility,
    slice: Slice,
) -> QueryResult<(Vec<ArticleRow>, i64)> {
    // The date as text sorts as the date does (ISO 8601 on both backends) and spares parsing
    // thousands of them.
    let published = sql::<Nullable<Text>>("CAST(articles.published_at AS TEXT)");
    let matches: Vec<(i64, Option<String>, String)> = filtered(filter, visibility, is_sqlite(conn))
        .select((articles::id, published, articles::search_title))
        .load(conn)?;
    let mut keys: Vec<(bool, Option<String>, i64)> =
        matches.into_iter().map(|(id, at, title)| (search.in_title(&title), at, id)).collect();
    // Descending: title matches, the newest (drafts without a date last), the higher id.
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let total = keys.len() as i64;
    let page = keys.iter().skip(slice.offset.max(0) as usize).take(slice.limit.max(0) as usize);
    let ids: Vec<i64> = page.map(|k| k.2).collect();
    Ok((rows_in_order(conn, &ids, visibility, slice.with_body)?, total))
}

/// The rows of `ids`, in that order (those no longer visible left out). A list carries no body
/// unless asked for, and never the folded search text: they are most of a row, read for nothing.
fn rows_in_order(
    conn: &mut DbConn,
    ids: &[i64],
    visibility: &Visibility,
    with_body: bool,
) -> QueryResult<Vec<ArticleRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let body = sql::<Text>(if with_body { "articles.body" } else { "''" });
    let mut rows: Vec<ArticleRow> = visible(articles::table.into_boxed(), visibility)
        .filter(articles::id.eq_any(ids))
        // ArticleRow's columns in its order, with the two texts swapped for empty ones.
        .select((
            articles::id,
            articles::site_id,
            articles::category_id,
            articles::title,
            articles::slug,
            articles::summary,
            articles::summary_auto,
            body,
            articles::cover_url,
            articles::cover_alt,
            articles::author,
            articles::status,
            articles::published_at,
            articles::word_count,
            articles::search_title,
            sql::<Text>("''"),
            articles::created_by,
            articles::updated_by,
            articles::created_at,
            articles::updated_at,
            articles::deleted_at,
            articles::changed_at,
            articles::cover_media_id,
            articles::revised_at,
            articles::gallery_media_ids,
        ))
        .load(conn)?;
    let position: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|row| position.get(&row.id).copied().unwrap_or(usize::MAX));
    Ok(rows)
}

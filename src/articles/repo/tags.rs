//! Tags, counted over the articles the public sees.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::db::DbConn;

/// Which tags: of these sites, whose slug starts with `prefix` (a slug: letters, digits, hyphens).
pub struct TagFilter<'a> {
    pub site_ids: Option<&'a [i64]>,
    pub prefix: Option<&'a str>,
    /// This tag only.
    pub slug: Option<&'a str>,
    pub now: NaiveDateTime,
}

/// A tag (its name as written: the first by sort order of the spellings) and its public articles.
#[derive(Debug, QueryableByName)]
pub struct TagCount {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub articles: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The FROM and WHERE of the tags of public articles. Every value is ours and checked (ids,
/// a time we format, a slug), so it is written into the statement; nothing a client sends is.
fn public_tags(filter: &TagFilter<'_>) -> String {
    let mut sql = format!(
        "FROM article_tags t JOIN articles a ON a.id = t.article_id \
         WHERE a.status = 'published' AND a.deleted_at IS NULL AND a.published_at <= '{}'",
        filter.now.format("%Y-%m-%d %H:%M:%S%.6f")
    );
    if let Some(ids) = filter.site_ids {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        sql.push_str(&format!(" AND a.site_id IN ({})", if ids.is_empty() { "NULL".into() } else { ids.join(", ") }));
    }
    let clean = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>();
    if let Some(prefix) = filter.prefix {
        sql.push_str(&format!(" AND t.slug LIKE '{}%'", clean(prefix)));
    }
    if let Some(slug) = filter.slug {
        sql.push_str(&format!(" AND t.slug = '{}'", clean(slug)));
    }
    sql
}

/// A page of tags with how many public articles carry each, the most used first; and how many
/// tags there are.
pub fn tags(conn: &mut DbConn, filter: &TagFilter<'_>, offset: i64, limit: i64) -> QueryResult<(Vec<TagCount>, i64)> {
    let from = public_tags(filter);
    let total =
        diesel::sql_query(format!("SELECT COUNT(DISTINCT t.slug) AS total {from}")).get_result::<Count>(conn)?;
    let rows: Vec<TagCount> = diesel::sql_query(format!(
        "SELECT t.slug AS slug, MIN(t.name) AS name, COUNT(*) AS articles {from} \
         GROUP BY t.slug ORDER BY COUNT(*) DESC, t.slug LIMIT {limit} OFFSET {offset}"
    ))
    .load(conn)?;
    Ok((rows, total.total))
}

//! Queries on articles: lookups, slugs with history, tags, the neighbours of an article, the
//! change feed and writes. Lists and search are in [`list`].

mod list;
mod tags;

pub use list::*;
pub use tags::{TagCount, TagFilter, tags};

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::model::{Article, ArticleRow, ArticleStatus, CleanContent, Cover, CoverMedia};
use crate::categories::model::CategoryRef;
use crate::db::DbConn;
use crate::db::schema::{article_slugs, article_tags, articles, categories, settings, sites, users};
use crate::sites::model::SiteRef;
use crate::users::model::UserRef;

/// The earliest publication still to come, for capping how long a public list may be cached.
pub fn next_scheduled(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    articles::table
        .filter(articles::deleted_at.is_null())
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.gt(now))
        .select(diesel::dsl::min(articles::published_at))
        .first(conn)
}

pub fn find_row(conn: &mut DbConn, id: i64) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .find(id)
        .filter(articles::deleted_at.is_null())
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_row_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::slug.eq(slug))
        .filter(articles::deleted_at.is_null())
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()
}

/// The current slug of the article that once had `slug`.
pub fn current_slug_for_old(conn: &mut DbConn, slug: &str) -> QueryResult<Option<(i64, String)>> {
    article_slugs::table
        .inner_join(articles::table)
        .filter(article_slugs::slug.eq(slug))
        .filter(articles::deleted_at.is_null())
        .select((articles::id, articles::slug))
        .first(conn)
        .optional()
}

/// `base`, or `base-2`, `base-3`, ...: the first slug that no article has or had, except `own`'s.
pub fn unique_slug(conn: &mut DbConn, base: &str, own: Option<i64>) -> QueryResult<String> {
    let pattern = format!("{}-%", crate::db::escape_like(base));
    let mut taken: Vec<String> = articles::table
        .filter(articles::slug.eq(base).or(articles::slug.like(pattern.clone()).escape('\\')))
        .filter(articles::id.ne(own.unwrap_or(-1)))
        .select(articles::slug)
        .load(conn)?;
    taken.extend(
        article_slugs::table
            .filter(article_slugs::slug.eq(base).or(article_slugs::slug.like(pattern).escape('\\')))
            .filter(article_slugs::article_id.ne(own.unwrap_or(-1)))
            .select(article_slugs::slug)
            .load::<String>(conn)?,
    );
    let mut candidate = base.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

/// Whether a slug is taken by another article, now or in the past.
pub fn slug_taken(conn: &mut DbConn, slug: &str, own: Option<i64>) -> QueryResult<bool> {
    let current: i64 = articles::table
        .filter(articles::slug.eq(slug))
        .filter(articles::id.ne(own.unwrap_or(-1)))
        .count()
        .get_result(conn)?;
    let former: i64 = article_slugs::table
        .filter(article_slugs::slug.eq(slug))
        .filter(article_slugs::article_id.ne(own.unwrap_or(-1)))
        .count()
        .get_result(conn)?;
    Ok(current + former > 0)
}

/// Keeps `old` as a former slug of the article; a slug it takes back leaves the history.
pub fn change_slug(conn: &mut DbConn, id: i64, old: &str, new: &str) -> QueryResult<()> {
    diesel::delete(article_slugs::table.filter(article_slugs::slug.eq(new))).execute(conn)?;
    diesel::insert_into(article_slugs::table)
        .values((article_slugs::slug.eq(old), article_slugs::article_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

pub fn set_tags(conn: &mut DbConn, id: i64, tags: &[(String, String)]) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(id))).execute(conn)?;
    for (position, (slug, name)) in tags.iter().enumerate() {
        diesel::insert_into(article_tags::table)
            .values((
                article_tags::article_id.eq(id),
                article_tags::slug.eq(slug),
                article_tags::name.eq(name),
                article_tags::position.eq(position as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn tag_names(conn: &mut DbConn, id: i64) -> QueryResult<Vec<String>> {
    article_tags::table
        .filter(article_tags::article_id.eq(id))
        .order(article_tags::position.asc())
        .select(article_tags::name)
        .load(conn)
}

/// The tags of these articles, in order, by article.
pub fn tag_names_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, Vec<String>>> {
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (article_id, name) in crate::among!(article_tags::table, article_tags::article_id, ids.to_vec())
        .order((article_tags::article_id, article_tags::position))
        .select((article_tags::article_id, article_tags::name))
        .load::<(i64, String)>(conn)?
    {
        tags.entry(article_id).or_default().push(name);
    }
    Ok(tags)
}

/// Turns rows into API articles, loading their sites, categories, tags (and, for staff, users)
/// in one query each.
pub fn to_articles(
    conn: &mut DbConn,
    rows: Vec<ArticleRow>,
    with_body: bool,
    staff: bool,
) -> QueryResult<Vec<Article>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let site_ids: Vec<i64> = rows.iter().map(|r| r.site_id).collect();
    let category_ids: Vec<i64> = rows.iter().map(|r| r.category_id).collect();
    let sites: HashMap<i64, SiteRef> = crate::among!(sites::table, sites::id, site_ids)
        .select((sites::id, sites::code, sites::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, SiteRef { id, code, name }))
        .collect();
    let categories: HashMap<i64, CategoryRef> = crate::among!(categories::table, categories::id, category_ids)
        .select((categories::id, categories::slug, categories::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, slug, name)| (id, CategoryRef { id, slug, name }))
        .collect();
    let mut tags = tag_names_of(conn, &ids)?;
    let mut media_ids: Vec<i64> = rows.iter().filter_map(|r| r.cover_media_id).collect();
    if with_body {
        media_ids.extend(rows.iter().flat_map(|r| crate::text::media_ids_in(&r.body)));
        media_ids.extend(rows.iter().flat_map(ArticleRow::gallery_ids));
    }
    let library = crate::media::public_views(conn, &media_ids)?;
    let users: HashMap<i64, UserRef> = if staff {
        let user_ids: Vec<i64> = rows.iter().flat_map(|r| [r.created_by, r.updated_by]).flatten().collect();
        users::table
            .filter(users::id.eq_any(user_ids))
            .select((users::id, users::display_name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .map(|(id, display_name)| (id, UserRef { id, display_name }))
            .collect()
    } else {
        HashMap::new()
    };
    Ok(rows
        .into_iter()
        .map(|row| Article {
            id: row.id,
            gallery: with_body
                .then(|| row.gallery_ids().iter().filter_map(|id| library.get(id)).filter_map(cover_of).collect()),
            site: sites.get(&row.site_id).cloned().unwrap_or(SiteRef {
                id: row.site_id,
                code: String::new(),
                name: String::new(),
            }),
            category: categories.get(&row.category_id).cloned().unwrap_or(CategoryRef {
                id: row.category_id,
                slug: String::new(),
                name: String::new(),
            }),
            title: row.title,
            slug: row.slug,
            summary: row.summary,
            body: with_body.then(|| match row.body.contains("data-media-id") {
                true => crate::text::fill_media_images(&row.body, |id| library.get(&id).and_then(image_attributes)),
                false => row.body,
            }),
            cover: match row.cover_media_id.and_then(|id| library.get(&id)).and_then(cover_of) {
                Some(cover) => Some(cover),
                None => row.cover_url.map(|url| Cover { url, alt: row.cover_alt, media: None }),
            },
            author: row.author,
            tags: tags.remove(&row.id).unwrap_or_default(),
            status: ArticleStatus::parse(&row.status).unwrap_or(ArticleStatus::Draft),
            published_at: row.published_at.map(|t| t.and_utc()),
            word_count: row.word_count,
            reading_time_minutes: (row.word_count + 199) / 200,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            revised_at: row.revised_at.map(|t| t.and_utc()),
            created_by: row.created_by.and_then(|id| users.get(&id).cloned()),
            updated_by: row.updated_by.and_then(|id| users.get(&id).cloned()),
        })
        .collect())
}

/// The published neighbours of an article in its category: (previous, next).
pub fn adjacent(
    conn: &mut DbConn,
    row: &ArticleRow,
    now: NaiveDateTime,
) -> QueryResult<(Option<ArticleRow>, Option<ArticleRow>)> {
    let Some(at) = row.published_at else { return Ok((None, None)) };
    let public = Visibility::Public { now };
    let base = || visible(articles::table.into_boxed(), &public).filter(articles::category_id.eq(row.category_id));
    let previous = base()
        .filter(articles::published_at.lt(at).or(articles::published_at.eq(at).and(articles::id.lt(row.id))))
        .order((articles::published_at.desc(), articles::id.desc()))
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()?;
    let next = base()
        .filter(articles::published_at.gt(at).or(articles::published_at.eq(at).and(articles::id.gt(row.id))))
        .order((articles::published_at.asc(), articles::id.asc()))
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()?;
    Ok((previous, next))
}

/// Public articles sharing tags with `row`, most shared tags first, then newest.
pub fn related(conn: &mut DbConn, row: &ArticleRow, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<ArticleRow>> {
    let tag_slugs: Vec<String> =
        article_tags::table.filter(article_tags::article_id.eq(row.id)).select(article_tags::slug).load(conn)?;
    if tag_slugs.is_empty() {
        return Ok(vec![]);
    }
    let ranked: Vec<(i64, i64)> = article_tags::table
        .inner_join(articles::table)
        .filter(article_tags::slug.eq_any(tag_slugs))
        .filter(article_tags::article_id.ne(row.id))
        .filter(articles::deleted_at.is_null())
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.le(now))
        .group_by(article_tags::article_id)
        .select((article_tags::article_id, count_star()))
        .order((count_star().desc(), article_tags::article_id.desc()))
        .limit(limit)
        .load(conn)?;
    let ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
    let mut rows: Vec<ArticleRow> =
        articles::table.filter(articles::id.eq_any(&ids)).select(ArticleRow::as_select()).load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

/// A library image as a cover (a ready one; until then an article shows none).
fn cover_of(media: &crate::media::model::Media) -> Option<Cover> {
    Some(Cover {
        url: media.url.clone()?,
        alt: media.alt.clone(),
        media: Some(CoverMedia {
            id: media.id,
            width: media.width,
            height: media.height,
            placeholder: media.placeholder.clone(),
            caption: media.caption.clone(),
            credit: media.credit.clone(),
            variants: media.variants.clone(),
        }),
    })
}

/// What an inline library image shows: its full size, every width of its own format as `srcset`.
fn image_attributes(media: &crate::media::model::Media) -> Option<crate::text::ImageAttributes> {
    let src = media.url.clone()?;
    let own = media.variants.iter().find(|v| v.url == src).map(|v| v.media_type.clone())?;
    let srcset = media
        .variants
        .iter()
        .filter(|v| v.media_type == own)
        .filter_map(|v| Some(format!("{} {}w", v.url, v.width?)))
        .collect::<Vec<_>>()
        .join(", ");
    Some(crate::text::ImageAttributes { src, srcset, width: media.width, height: media.height, alt: media.alt.clone() })
}

pub struct NewArticle<'a> {
    pub site_id: i64,
    pub category_id: i64,
    pub title: &'a str,
    pub slug: &'a str,
    pub content: &'a CleanContent,
    pub cover_url: Option<&'a str>,
    pub cover_alt: Option<&'a str>,
    pub cover_media_id: Option<i64>,
    pub gallery_media_ids: &'a [i64],
    pub author: &'a str,
    pub status: ArticleStatus,
    pub published_at: Option<NaiveDateTime>,
    pub user_id: Option<i64>,
    pub now: NaiveDateTime,
}

pub fn insert_article(conn: &mut DbConn, new: &NewArticle<'_>) -> QueryResult<i64> {
    diesel::insert_into(articles::table)
        .values((
            articles::site_id.eq(new.site_id),
            articles::category_id.eq(new.category_id),
            articles::title.eq(new.title),
            articles::slug.eq(new.slug),
            articles::summary.eq(&new.content.summary),
            articles::summary_auto.eq(new.content.summary_auto),
            articles::body.eq(&new.content.body),
            articles::cover_url.eq(new.cover_url),
            articles::cover_alt.eq(new.cover_alt),
            articles::cover_media_id.eq(new.cover_media_id),
            articles::gallery_media_ids.eq(ArticleRow::gallery_json(new.gallery_media_ids)),
            articles::author.eq(new.author),
            articles::status.eq(new.status.as_str()),
            articles::published_at.eq(new.published_at),
            articles::word_count.eq(new.content.word_count),
            articles::search_title.eq(crate::text::fold(new.title)),
            articles::search_body.eq(&new.content.search_body),
            articles::created_by.eq(new.user_id),
            articles::updated_by.eq(new.user_id),
            articles::created_at.eq(new.now),
            articles::updated_at.eq(new.now),
            articles::changed_at.eq(new.published_at.map_or(new.now, |p| p.max(new.now))),
        ))
        .returning(articles::id)
        .get_result(conn)
}

/// An edit of an article, as stored (the content already cleaned).
pub struct ArticleChange<'a> {
    pub category_id: i64,
    pub title: &'a str,
    pub slug: &'a str,
    pub content: &'a CleanContent,
    pub cover_url: Option<String>,
    pub cover_alt: Option<String>,
    pub cover_media_id: Option<i64>,
    pub gallery_media_ids: &'a [i64],
    pub author: &'a str,
    pub published_at: Option<NaiveDateTime>,
    pub user_id: i64,
    pub now: NaiveDateTime,
    /// When its content last changed after publication (this change, if it was public).
    pub revised_at: Option<NaiveDateTime>,
}

/// When a change shows in the change feed: now, or at publication when that is later.
fn changed_at(published_at: Option<NaiveDateTime>, now: NaiveDateTime) -> NaiveDateTime {
    published_at.map_or(now, |p| p.max(now))
}

pub fn update_article(conn: &mut DbConn, id: i64, change: &ArticleChange<'_>) -> QueryResult<()> {
    diesel::update(articles::table.find(id))
        .set((
            articles::category_id.eq(change.category_id),
            articles::title.eq(change.title),
            articles::slug.eq(change.slug),
            articles::summary.eq(&change.content.summary),
            articles::summary_auto.eq(change.content.summary_auto),
            articles::body.eq(&change.content.body),
            articles::cover_url.eq(&change.cover_url),
            articles::cover_alt.eq(&change.cover_alt),
            articles::cover_media_id.eq(change.cover_media_id),
            articles::gallery_media_ids.eq(ArticleRow::gallery_json(change.gallery_media_ids)),
            articles::author.eq(change.author),
            articles::published_at.eq(change.published_at),
            articles::word_count.eq(change.content.word_count),
            articles::search_title.eq(crate::text::fold(change.title)),
            articles::search_body.eq(&change.content.search_body),
            articles::updated_by.eq(Some(change.user_id)),
            articles::updated_at.eq(change.now),
            articles::changed_at.eq(changed_at(change.published_at, change.now)),
            articles::revised_at.eq(change.revised_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Moves an article to `status`, published at `published_at`.
pub fn set_status(
    conn: &mut DbConn,
    id: i64,
    status: ArticleStatus,
    published_at: Option<NaiveDateTime>,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(articles::table.find(id))
        .set((
            articles::status.eq(status.as_str()),
            articles::published_at.eq(published_at),
            articles::updated_by.eq(Some(user_id)),
            articles::updated_at.eq(now),
            articles::changed_at.eq(changed_at(published_at, now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks an article deleted: gone from every read, kept as a tombstone for the change feed.
pub fn soft_delete(conn: &mut DbConn, id: i64, user_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(articles::table.find(id))
        .set((
            articles::deleted_at.eq(Some(now)),
            articles::updated_by.eq(Some(user_id)),
            articles::updated_at.eq(now),
            articles::changed_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Of these articles, those the public sees now (published, due, not deleted).
fn public_among(ids: &[i64], now: NaiveDateTime) -> articles::BoxedQuery<'static, crate::db::Db> {
    articles::table
        .filter(articles::id.eq_any(ids.to_vec()))
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.le(now))
        .filter(articles::deleted_at.is_null())
        .into_boxed()
}

/// Of these articles, those the public sees now, as rows.
pub fn public_rows(conn: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> QueryResult<Vec<ArticleRow>> {
    public_among(ids, now).select(ArticleRow::as_select()).load(conn)
}

/// Of these articles, the ids of those the public sees now.
pub fn public_ids(conn: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    public_among(ids, now).select(articles::id).load(conn)
}

/// The setting that holds how far scheduled articles have been released into the change log.
const RELEASED_UNTIL: &str = "articles_released_until";
const RELEASED_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

fn released_until(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    let value: Option<String> = settings::table.find(RELEASED_UNTIL).select(settings::value).first(conn).optional()?;
    Ok(value.and_then(|v| NaiveDateTime::parse_from_str(&v, RELEASED_FORMAT).ok()))
}

/// How far back a release looks again, in case a write committed late (its transaction began
/// before the last release and its article came due meanwhile).
const RELEASE_OVERLAP_MINUTES: i64 = 10;

/// Scheduled articles (published after their last write) due in `(since, now]` whose last change
/// log entry is not public yet: due, and not released.
fn unreleased(conn: &mut DbConn, since: NaiveDateTime, now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    use crate::db::schema::changes;
    let due: Vec<i64> = articles::table
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::deleted_at.is_null())
        .filter(articles::published_at.gt(since - chrono::Duration::minutes(RELEASE_OVERLAP_MINUTES)))
        .filter(articles::published_at.le(now))
        // Scheduled when last written; the others were logged as public by that write.
        .filter(articles::published_at.gt(articles::updated_at.nullable()))
        .select(articles::id)
        .load(conn)?;
    let mut pending = Vec::with_capacity(due.len());
    for id in due {
        let last_public: Option<bool> = changes::table
            .filter(changes::resource.eq("article"))
            .filter(changes::resource_id.eq(id))
            .order((changes::tick.desc(), changes::id.desc()))
            .select(changes::public)
            .first(conn)
            .optional()?;
        if last_public != Some(true) {
            pending.push(id);
        }
    }
    Ok(pending)
}

/// Puts the scheduled articles that have become public since the last call into the change log,
/// so that the change feed, and whatever else reads the log, learns of them when they come due
/// rather than when they were written. Several nodes may call it at once: the setting's row lock
/// makes them take turns, and an article whose last entry is public is not released again.
/// Returns how many.
pub fn release_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    let Some(since) = released_until(conn)? else { return Ok(0) };
    // Most calls find nothing, and write nothing.
    if unreleased(conn, since, now)?.is_empty() {
        return Ok(0);
    }
    crate::db::write_transaction(conn, |conn| {
        crate::db::lock_row_by_key(conn, "settings", "name", RELEASED_UNTIL)?;
        let Some(since) = released_until(conn)? else { return Ok(0) };
        let due = unreleased(conn, since, now)?;
        if due.is_empty() {
            return Ok(0);
        }
        log_release(conn, &due)?;
        diesel::update(settings::table.find(RELEASED_UNTIL))
            .set(settings::value.eq(now.format(RELEASED_FORMAT).to_string()))
            .execute(conn)?;
        Ok(due.len())
    })
}

/// Records in the change log that these articles became public (the write that scheduled them
/// was logged as not public yet), in the current transaction and with its tick.
fn log_release(conn: &mut DbConn, ids: &[i64]) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    let ids = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    match conn {
        DbConn::Postgres(c) => c.batch_execute(&format!(
            "SELECT muni_record_change('article', id, site_id, 'UPDATE', FALSE, TRUE, NULL) FROM articles WHERE id IN ({ids})"
        )),
        DbConn::Sqlite(c) => c.batch_execute(&format!(
            "UPDATE change_clock SET tick = tick + 1 WHERE id = 1; \
             INSERT INTO changes (tick, resource, resource_id, site_id, action, public, was_public, is_public) \
             SELECT (SELECT tick FROM change_clock WHERE id = 1), 'article', id, site_id, 'update', 1, 0, 1 \
             FROM articles WHERE id IN ({ids})"
        )),
    }
}

fn public_of_site(site_id: i64, now: NaiveDateTime) -> articles::BoxedQuery<'static, crate::db::Db> {
    articles::table
        .filter(articles::site_id.eq(site_id))
        .filter(articles::status.eq(ArticleStatus::Published.as_str()))
        .filter(articles::published_at.le(now))
        .filter(articles::deleted_at.is_null())
        .into_boxed()
}

/// How many articles of a site the public sees (each is a page of its portal).
pub fn count_pages(conn: &mut DbConn, site_id: i64, now: NaiveDateTime) -> QueryResult<i64> {
    public_of_site(site_id, now).count().get_result(conn)
}

/// A slice of a site's public articles as pages, by id; changed when edited or published.
pub fn pages(
    conn: &mut DbConn,
    site_id: i64,
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<crate::sites::model::PageEntry>> {
    let rows: Vec<(i64, String, NaiveDateTime, Option<NaiveDateTime>)> = public_of_site(site_id, now)
        .order(articles::id.asc())
        .select((articles::id, articles::slug, articles::updated_at, articles::published_at))
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, key, updated, published)| crate::sites::model::PageEntry {
            id,
            key,
            lastmod: published.map_or(updated, |p| p.max(updated)),
        })
        .collect())
}

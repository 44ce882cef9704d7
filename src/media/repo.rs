//! The queries of the media library.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::model::{MediaChange, MediaKind, MediaRow, MediaStatus, MediaUse, StoredVariant};
use crate::db::schema::{media, media_uses};
use crate::db::{DbConn, now};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

pub struct NewMedia<'a> {
    pub site_id: i64,
    pub sha256: &'a str,
    pub kind: MediaKind,
    pub media_type: &'a str,
    pub filename: &'a str,
    pub size: i64,
    pub status: MediaStatus,
    pub variants: String,
    pub title: Option<&'a str>,
    pub alt: Option<&'a str>,
    pub caption: Option<&'a str>,
    pub credit: Option<&'a str>,
    pub uploaded_by: Option<i64>,
}

pub fn find_by_address(conn: &mut DbConn, site_id: i64, sha256: &str) -> QueryResult<Option<MediaRow>> {
    media::table
        .filter(media::site_id.eq(site_id))
        .filter(media::sha256.eq(sha256))
        .select(MediaRow::as_select())
        .first(conn)
        .optional()
}

/// Any item with these bytes (the URL names the bytes, not the site).
pub fn any_by_address(conn: &mut DbConn, sha256: &str) -> QueryResult<Option<MediaRow>> {
    media::table
        .filter(media::sha256.eq(sha256))
        .order(media::id.asc())
        .select(MediaRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, new: &NewMedia<'_>) -> QueryResult<MediaRow> {
    let at = now();
    diesel::insert_into(media::table)
        .values((
            media::site_id.eq(new.site_id),
            media::sha256.eq(new.sha256),
            media::kind.eq(new.kind.as_str()),
            media::media_type.eq(new.media_type),
            media::filename.eq(new.filename),
            media::size.eq(new.size),
            media::status.eq(new.status.as_str()),
            media::variants.eq(&new.variants),
            media::title.eq(new.title),
            media::alt.eq(new.alt),
            media::caption.eq(new.caption),
            media::credit.eq(new.credit),
            media::uploaded_by.eq(new.uploaded_by),
            media::created_at.eq(at),
            media::updated_at.eq(at),
        ))
        .returning(media::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<MediaRow>> {
    media::table.find(id).select(MediaRow::as_select()).first(conn).optional()
}

pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<MediaRow>> {
    media::table.filter(media::id.eq_any(ids.to_vec())).select(MediaRow::as_select()).load(conn)
}

/// What uses each of these items.
pub fn uses_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, Vec<MediaUse>>> {
    let rows: Vec<(i64, String, i64, String)> = media_uses::table
        .filter(media_uses::media_id.eq_any(ids.to_vec()))
        .order((media_uses::resource, media_uses::resource_id))
        .select((media_uses::media_id, media_uses::resource, media_uses::resource_id, media_uses::role))
        .load(conn)?;
    let public = public_users(conn, &rows)?;
    let mut uses: HashMap<i64, Vec<MediaUse>> = HashMap::new();
    for (media_id, resource, id, role) in rows {
        let public = public.contains(&(resource.clone(), id));
        uses.entry(media_id).or_default().push(MediaUse { resource, id, role, public });
    }
    Ok(uses)
}

/// Of the content in `uses`, what the public sees now, as (resource, id): each resource says what
/// of its own is public.
fn public_users(conn: &mut DbConn, uses: &[(i64, String, i64, String)]) -> QueryResult<HashSet<(String, i64)>> {
    let mut public = HashSet::new();
    for resource in ["article", "event", "procedure"] {
        let ids: Vec<i64> = uses.iter().filter(|u| u.1 == resource).map(|u| u.2).collect();
        if ids.is_empty() {
            continue;
        }
        let shown = match resource {
            "article" => crate::articles::public_ids(conn, &ids, now())?,
            "event" => crate::events::public_ids(conn, &ids)?,
            _ => crate::procedures::public_ids(conn, &ids)?,
        };
        public.extend(shown.into_iter().map(|id| (resource.to_owned(), id)));
    }
    Ok(public)
}

/// Sets what one resource uses in one role (replacing what it used before).
pub fn set_uses(conn: &mut DbConn, resource: &str, resource_id: i64, role: &str, ids: &[i64]) -> QueryResult<()> {
    diesel::delete(
        media_uses::table
            .filter(media_uses::resource.eq(resource))
            .filter(media_uses::resource_id.eq(resource_id))
            .filter(media_uses::role.eq(role)),
    )
    .execute(conn)?;
    for id in ids.iter().collect::<HashSet<_>>() {
        diesel::insert_into(media_uses::table)
            .values((
                media_uses::media_id.eq(*id),
                media_uses::resource.eq(resource),
                media_uses::resource_id.eq(resource_id),
                media_uses::role.eq(role),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub struct Filter {
    pub site_ids: Option<Vec<i64>>,
    pub kind: Option<MediaKind>,
    pub words: Vec<String>,
    pub uploaded_by: Option<i64>,
    pub unused: Option<bool>,
    pub missing_alt: bool,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

pub fn list(conn: &mut DbConn, filter: &Filter, offset: i64, limit: i64) -> QueryResult<(Vec<MediaRow>, i64)> {
    let filtered = || {
        let mut query = media::table.into_boxed();
        if let Some(ids) = &filter.site_ids {
            query = query.filter(media::site_id.eq_any(ids.clone()));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(media::kind.eq(kind.as_str()));
        }
        for word in &filter.words {
            let like = crate::db::like_contains(&word.to_lowercase());
            query = query.filter(
                lower(media::filename.nullable())
                    .like(like.clone())
                    .escape('\\')
                    .or(lower(media::title).like(like.clone()).escape('\\'))
                    .or(lower(media::alt).like(like.clone()).escape('\\'))
                    .or(lower(media::caption).like(like).escape('\\')),
            );
        }
        if let Some(user) = filter.uploaded_by {
            query = query.filter(media::uploaded_by.eq(user));
        }
        let used = media_uses::table.select(media_uses::media_id);
        match filter.unused {
            Some(true) => query = query.filter(media::id.ne_all(used)),
            Some(false) => query = query.filter(media::id.eq_any(used)),
            None => {}
        }
        if filter.missing_alt {
            query = query
                .filter(media::kind.eq(MediaKind::Image.as_str()))
                .filter(media::alt.is_null().or(media::alt.eq("")));
        }
        if let Some(from) = filter.from {
            query = query.filter(media::created_at.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(media::created_at.lt(to));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows =
        filtered().order(media::id.desc()).select(MediaRow::as_select()).offset(offset).limit(limit).load(conn)?;
    Ok((rows, total))
}

pub fn update(conn: &mut DbConn, id: i64, change: &MediaChange) -> QueryResult<Option<MediaRow>> {
    #[derive(AsChangeset)]
    #[diesel(table_name = media)]
    struct Changes<'a> {
        title: Option<Option<&'a str>>,
        alt: Option<Option<&'a str>>,
        caption: Option<Option<&'a str>>,
        credit: Option<Option<&'a str>>,
        taken_at: Option<Option<NaiveDateTime>>,
        updated_at: NaiveDateTime,
    }
    fn text(v: &Option<Option<String>>) -> Option<Option<&str>> {
        v.as_ref().map(|v| v.as_deref().map(str::trim).filter(|s| !s.is_empty()))
    }
    let changes = Changes {
        title: text(&change.title),
        alt: text(&change.alt),
        caption: text(&change.caption),
        credit: text(&change.credit),
        taken_at: change.taken_at.map(|t| t.map(|t| t.naive_utc())),
        updated_at: now(),
    };
    diesel::update(media::table.find(id)).set(&changes).returning(media::all_columns).get_result(conn).optional()
}

/// An item's new bytes.
pub struct NewFile<'a> {
    pub sha256: &'a str,
    pub media_type: &'a str,
    pub filename: &'a str,
    pub size: i64,
    pub status: MediaStatus,
    pub variants: &'a str,
}

/// Replaces an item's bytes: new address, processed again.
pub fn replace_file(conn: &mut DbConn, id: i64, file: &NewFile<'_>) -> QueryResult<Option<MediaRow>> {
    diesel::update(media::table.find(id))
        .set((
            media::sha256.eq(file.sha256),
            media::media_type.eq(file.media_type),
            media::filename.eq(file.filename),
            media::size.eq(file.size),
            media::status.eq(file.status.as_str()),
            media::variants.eq(file.variants),
            media::width.eq(None::<i32>),
            media::height.eq(None::<i32>),
            media::placeholder.eq(None::<String>),
            media::failure.eq(None::<String>),
            media::lease_until.eq(None::<NaiveDateTime>),
            media::updated_at.eq(now()),
        ))
        .returning(media::all_columns)
        .get_result(conn)
        .optional()
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(media_uses::table.filter(media_uses::media_id.eq(id))).execute(conn)?;
    diesel::delete(media::table.find(id)).execute(conn)
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Claims the oldest image waiting to be processed, until `until`, in one statement (on
/// PostgreSQL, rows another worker is claiming are skipped).
pub fn claim_next(conn: &mut DbConn, at: NaiveDateTime, until: NaiveDateTime) -> QueryResult<Option<MediaRow>> {
    const WAITING: &str = "status = 'processing' AND (lease_until IS NULL OR lease_until < {now})";
    // Most calls find nothing: a read first, so that an idle node takes no write lock.
    let waiting: i64 = media::table
        .filter(media::status.eq(MediaStatus::Processing.as_str()))
        .filter(media::lease_until.is_null().or(media::lease_until.lt(at)))
        .count()
        .get_result(conn)?;
    if waiting == 0 {
        return Ok(None);
    }
    let claimed: Vec<Claimed> = match conn {
        DbConn::Postgres(c) => diesel::sql_query(format!(
            "UPDATE media SET lease_until = $1 WHERE id = (SELECT id FROM media WHERE {} ORDER BY id LIMIT 1 \
             FOR UPDATE SKIP LOCKED) RETURNING id",
            WAITING.replace("{now}", "$2")
        ))
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(at)
        .load(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(format!(
            "UPDATE media SET lease_until = ?1 WHERE id = (SELECT id FROM media WHERE {} ORDER BY id LIMIT 1) RETURNING id",
            WAITING.replace("{now}", "?2")
        ))
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(at)
        .load(c)?,
    };
    match claimed.first() {
        Some(c) => find(conn, c.id),
        None => Ok(None),
    }
}

pub struct Processed {
    pub width: i32,
    pub height: i32,
    pub variants: Vec<StoredVariant>,
    pub placeholder: String,
    /// When the photo was taken, if it says; kept only where staff set no time.
    pub taken_at: Option<NaiveDateTime>,
}

/// Records the result of processing, if the item still has the bytes that were processed.
pub fn finish(conn: &mut DbConn, row: &MediaRow, result: Result<Processed, String>) -> QueryResult<()> {
    let target = media::table.find(row.id).filter(media::sha256.eq(&row.sha256));
    if let Ok(Processed { taken_at: Some(taken_at), .. }) = &result {
        diesel::update(media::table.find(row.id).filter(media::taken_at.is_null()))
            .set(media::taken_at.eq(Some(*taken_at)))
            .execute(conn)?;
    }
    match result {
        Ok(done) => diesel::update(target)
            .set((
                media::status.eq(MediaStatus::Ready.as_str()),
                media::width.eq(Some(done.width)),
                media::height.eq(Some(done.height)),
                media::variants.eq(serde_json::to_string(&done.variants).unwrap_or_else(|_| "[]".into())),
                media::placeholder.eq(Some(done.placeholder)),
                media::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?,
        Err(why) => diesel::update(target)
            .set((
                media::status.eq(MediaStatus::Failed.as_str()),
                media::failure.eq(Some(why)),
                media::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Every object address a row names (uploads and variants), for the store's garbage collection.
pub fn addresses_in_use(conn: &mut DbConn) -> QueryResult<HashSet<String>> {
    let rows: Vec<(String, String)> = media::table.select((media::sha256, media::variants)).load(conn)?;
    let mut in_use = HashSet::new();
    for (sha, variants) in rows {
        in_use.insert(sha);
        let variants: Vec<StoredVariant> = serde_json::from_str(&variants).unwrap_or_default();
        in_use.extend(variants.into_iter().map(|v| v.address));
    }
    Ok(in_use)
}

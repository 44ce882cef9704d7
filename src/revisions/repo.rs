//! The revisions' queries: a snapshot of each resource a transaction saved, the baseline of
//! content older than revisions, and reading them back.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::model::{Named, RevisionRow};
use super::spec::{self, Kind, Revisioned};
use crate::db::schema::{revisions, users};
use crate::db::{self, DbConn};

/// Who saved, and why: what every revision of one transaction shares.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    pub at: Option<NaiveDateTime>,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub reason: Option<String>,
    pub restored_from: Option<i64>,
    pub request_id: Option<String>,
}

/// The SQL of a resource's content as JSON text, from its row `t`.
fn content_sql(spec: &Revisioned, postgres: bool) -> String {
    let pairs: Vec<String> = spec
        .fields
        .iter()
        .map(|field| {
            let value = match (field.sql, field.kind, postgres) {
                (Some((sqlite, _)), _, false) => sqlite.to_owned(),
                (Some((_, pg)), _, true) => pg.to_owned(),
                (None, Kind::Json, false) => format!("json(t.{})", field.key),
                (None, Kind::Json, true) => format!("CAST(t.{} AS json)", field.key),
                (None, _, _) => format!("t.{}", field.key),
            };
            format!("'{}', {value}", field.key)
        })
        .collect();
    if postgres {
        format!("CAST(json_build_object({}) AS text)", pairs.join(", "))
    } else {
        format!("json_object({})", pairs.join(", "))
    }
}

#[derive(QueryableByName)]
struct Inserted {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Snapshots each resource in `saved` (resource, id; each once, as the transaction leaves it),
/// unless its content is the same as its latest revision's. Answers the revisions made, by
/// resource and id. A row that is gone (a hard delete) has nothing to snapshot.
pub fn record(conn: &mut DbConn, saved: &[(String, i64)], by: &Attribution) -> QueryResult<Vec<(String, i64, i64)>> {
    let mut made = Vec::new();
    let at = by.at.unwrap_or_else(db::now);
    for (resource, id) in saved {
        let Some(spec) = spec::of(resource) else { continue };
        let revision = snapshot(conn, spec, *id, at, by)?;
        if let Some(revision) = revision {
            made.push((resource.clone(), *id, revision));
        }
    }
    Ok(made)
}

fn snapshot(
    conn: &mut DbConn,
    spec: &Revisioned,
    id: i64,
    at: NaiveDateTime,
    by: &Attribution,
) -> QueryResult<Option<i64>> {
    let postgres = matches!(conn, DbConn::Postgres(_));
    let p = |n: u8| if postgres { format!("${n}") } else { format!("?{n}") };
    let content = content_sql(spec, postgres);
    // The content is built once, and kept only when it differs from the latest revision's.
    let sql = format!(
        "WITH saved AS MATERIALIZED (SELECT t.id, t.{site} AS site_id, {content} AS content FROM {table} t WHERE t.id = {id}) \
         INSERT INTO revisions (resource, resource_id, site_id, at, actor_id, actor_role, reason, restored_from, \
             request_id, content) \
         SELECT {resource}, saved.id, saved.site_id, {at}, {actor}, {role}, {reason}, {restored}, {request}, \
             saved.content \
         FROM saved WHERE NOT EXISTS ( \
             SELECT 1 FROM revisions r WHERE r.id = (SELECT MAX(id) FROM revisions \
                 WHERE resource = {resource} AND resource_id = {id}) AND r.content = saved.content) \
         RETURNING id",
        resource = p(1),
        site = spec.site_column,
        at = p(2),
        actor = p(3),
        role = p(4),
        reason = p(5),
        restored = p(6),
        request = p(7),
        id = p(8),
        table = spec.table,
    );
    macro_rules! run {
        ($c:expr) => {
            diesel::sql_query(&sql)
                .bind::<Text, _>(spec.resource)
                .bind::<Timestamp, _>(at)
                .bind::<Nullable<BigInt>, _>(by.actor_id)
                .bind::<Nullable<Text>, _>(by.actor_role.as_deref())
                .bind::<Nullable<Text>, _>(by.reason.as_deref())
                .bind::<Nullable<BigInt>, _>(by.restored_from)
                .bind::<Nullable<Text>, _>(by.request_id.as_deref())
                .bind::<BigInt, _>(id)
                .load::<Inserted>($c)
        };
    }
    let rows = match conn {
        DbConn::Sqlite(c) => run!(c)?,
        DbConn::Postgres(c) => run!(c)?,
    };
    Ok(rows.first().map(|r| r.id))
}

/// Gives every row that has no revision yet (content saved before revisions began, or by a
/// hand-written statement) a first one, as it is now. Serialised across nodes starting together.
pub fn baseline(conn: &mut DbConn) -> QueryResult<usize> {
    db::write_transaction(conn, |conn| {
        db::lock_name(conn, "revisions_baseline")?;
        let postgres = matches!(conn, DbConn::Postgres(_));
        let mut made = 0;
        for spec in spec::ALL {
            let sql = format!(
                "INSERT INTO revisions (resource, resource_id, site_id, at, reason, content) \
                 SELECT '{resource}', t.id, t.{site}, {now}, 'baseline: the content when revisions began', {content} \
                 FROM {table} t WHERE NOT EXISTS \
                     (SELECT 1 FROM revisions r WHERE r.resource = '{resource}' AND r.resource_id = t.id)",
                resource = spec.resource,
                site = spec.site_column,
                now = if postgres { "LOCALTIMESTAMP" } else { "strftime('%Y-%m-%d %H:%M:%f', 'now')" },
                content = content_sql(spec, postgres),
                table = spec.table,
            );
            made += match conn {
                DbConn::Sqlite(c) => diesel::sql_query(sql).execute(c)?,
                DbConn::Postgres(c) => diesel::sql_query(sql).execute(c)?,
            };
        }
        Ok(made)
    })
}

/// A page of a resource's revisions, newest first, with the total.
pub fn list(conn: &mut DbConn, resource: &str, id: i64, offset: i64, limit: i64) -> QueryResult<(Vec<Named>, i64)> {
    let of = revisions::resource.eq(resource.to_owned()).and(revisions::resource_id.eq(id));
    let total = revisions::table.filter(of.clone()).count().get_result(conn)?;
    let rows = revisions::table
        .left_join(users::table.on(revisions::actor_id.eq(users::id.nullable())))
        .filter(of)
        .order(revisions::id.desc())
        .offset(offset)
        .limit(limit)
        .select((RevisionRow::as_select(), users::display_name.nullable()))
        .load::<Named>(conn)?;
    Ok((rows, total))
}

/// One revision of a resource.
pub fn find(conn: &mut DbConn, resource: &str, id: i64, revision: i64) -> QueryResult<Option<Named>> {
    revisions::table
        .left_join(users::table.on(revisions::actor_id.eq(users::id.nullable())))
        .filter(revisions::id.eq(revision))
        .filter(revisions::resource.eq(resource.to_owned()))
        .filter(revisions::resource_id.eq(id))
        .select((RevisionRow::as_select(), users::display_name.nullable()))
        .first::<Named>(conn)
        .optional()
}

/// The revision before `revision` of the same resource, if any.
pub fn previous(conn: &mut DbConn, resource: &str, id: i64, revision: i64) -> QueryResult<Option<Named>> {
    let before = revisions::table
        .filter(revisions::resource.eq(resource.to_owned()))
        .filter(revisions::resource_id.eq(id))
        .filter(revisions::id.lt(revision))
        .select(diesel::dsl::max(revisions::id))
        .first::<Option<i64>>(conn)?;
    match before {
        Some(before) => find(conn, resource, id, before),
        None => Ok(None),
    }
}

/// The site of a resource as its latest revision records it (`None`: it has none).
pub fn site_of(conn: &mut DbConn, resource: &str, id: i64) -> QueryResult<Option<Option<i64>>> {
    revisions::table
        .filter(revisions::resource.eq(resource.to_owned()))
        .filter(revisions::resource_id.eq(id))
        .order(revisions::id.desc())
        .select(revisions::site_id)
        .first::<Option<i64>>(conn)
        .optional()
}

/// The latest revision of a resource.
pub fn latest(conn: &mut DbConn, resource: &str, id: i64) -> QueryResult<Option<Named>> {
    let latest = revisions::table
        .filter(revisions::resource.eq(resource.to_owned()))
        .filter(revisions::resource_id.eq(id))
        .select(diesel::dsl::max(revisions::id))
        .first::<Option<i64>>(conn)?;
    match latest {
        Some(latest) => find(conn, resource, id, latest),
        None => Ok(None),
    }
}

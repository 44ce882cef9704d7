//! The database's answer to a search while this node has no index to ask (it is being built, at a
//! node's first start or after an upgrade, or it could not be opened): the folded words each
//! contained in the searchable text of what the public sees, newest first, with exact counts. No
//! relevance, no typo forgiven, a phrase's words in any order: a stopgap for the seconds a build
//! takes, costlier per query than the index, and said so in the answer (`meta.source`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Filters;
use super::query::Parsed;
use super::source::{self, Kind};
use crate::articles::model::ArticleStatus;
use crate::db::schema::{articles, events, procedures, questions};
use crate::db::{Db, DbConn, like_contains};
use crate::events::model::EventStatus;
use crate::questions::model::QuestionStatus;

/// Things found of one kind: how many, and the newest `keep` of them (date, id).
type Found = (u64, Vec<(NaiveDateTime, i64)>);

/// The things of a page, by kind and id, in order.
pub type Page = Vec<(Kind, i64)>;

/// The counts per kind, and the page's (kind, id) newest first.
pub fn search(
    conn: &mut DbConn,
    parsed: &Parsed,
    filters: &Filters,
    keep: i64,
    now: NaiveDateTime,
) -> QueryResult<([u64; 4], Page)> {
    let patterns: Vec<String> = parsed
        .words
        .iter()
        .chain(&parsed.prefix)
        .map(|w| w.folded.clone())
        .chain(parsed.phrases.iter().flatten().cloned())
        .map(|w| like_contains(&w))
        .collect();
    let mut counts = [0; 4];
    let mut newest: Vec<(NaiveDateTime, Kind, i64)> = Vec::new();
    for kind in Kind::ALL {
        let groups = match kind {
            Kind::Article => filters.category_ids.clone(),
            Kind::Procedure | Kind::Question => filters.field_id.map(|id| vec![id]),
            Kind::Event => None,
        };
        // A category keeps only articles, a field only procedures and questions.
        let excluded = (filters.category_ids.is_some() || filters.field_id.is_some()) && groups.is_none();
        if excluded {
            continue;
        }
        let keep = if filters.kinds.is_empty() || filters.kinds.contains(&kind) { keep } else { 0 };
        let (count, found) = of_kind(conn, kind, &patterns, filters, groups, keep, now)?;
        counts[kind.code() as usize] = count;
        newest.extend(found.into_iter().map(|(date, id)| (date, kind, id)));
    }
    newest.sort_by(|a, b| b.0.cmp(&a.0).then(b.2.cmp(&a.2)));
    newest.truncate(usize::try_from(keep).unwrap_or(0));
    Ok((counts, newest.into_iter().map(|(_, kind, id)| (kind, id)).collect()))
}

/// The documents of the page, in its order (those no longer public left out).
pub fn documents(conn: &mut DbConn, page: &[(Kind, i64)], now: NaiveDateTime) -> QueryResult<Vec<source::SearchDoc>> {
    let mut docs = Vec::new();
    for kind in Kind::ALL {
        let ids: Vec<i64> = page.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
        docs.extend(source::public_docs(conn, kind, &ids, now)?);
    }
    docs.sort_by_key(|d| page.iter().position(|(k, id)| *k == d.kind && *id == d.id));
    Ok(docs)
}

fn of_kind(
    conn: &mut DbConn,
    kind: Kind,
    patterns: &[String],
    filters: &Filters,
    groups: Option<Vec<i64>>,
    keep: i64,
    now: NaiveDateTime,
) -> QueryResult<Found> {
    let sites = filters.site_ids.clone();
    let (from, to) = (filters.from, filters.to);
    match kind {
        Kind::Article => {
            let query = || {
                let mut q: articles::BoxedQuery<'static, Db> = articles::table
                    .filter(articles::status.eq(ArticleStatus::Published.as_str()))
                    .filter(articles::published_at.le(now))
                    .filter(articles::deleted_at.is_null())
                    .into_boxed();
                for p in patterns {
                    q = q.filter(
                        articles::search_title
                            .like(p.clone())
                            .escape('\\')
                            .or(articles::search_body.like(p.clone()).escape('\\')),
                    );
                }
                if let Some(ids) = &sites {
                    q = q.filter(articles::site_id.eq_any(ids.clone()));
                }
                if let Some(ids) = &groups {
                    q = q.filter(articles::category_id.eq_any(ids.clone()));
                }
                if let Some(from) = from {
                    q = q.filter(articles::published_at.ge(from));
                }
                if let Some(to) = to {
                    q = q.filter(articles::published_at.le(to));
                }
                q
            };
            let count: i64 = query().count().get_result(conn)?;
            let rows: Vec<(Option<NaiveDateTime>, i64)> = query()
                .order((articles::published_at.desc(), articles::id.desc()))
                .select((articles::published_at, articles::id))
                .limit(keep)
                .load(conn)?;
            Ok((count as u64, rows.into_iter().map(|(at, id)| (at.unwrap_or_default(), id)).collect()))
        }
        Kind::Procedure => {
            let query = || {
                let mut q: procedures::BoxedQuery<'static, Db> =
                    procedures::table.filter(procedures::deleted_at.is_null()).into_boxed();
                for p in patterns {
                    q = q.filter(procedures::search_text.like(p.clone()).escape('\\'));
                }
                if let Some(ids) = &sites {
                    q = q.filter(procedures::site_id.eq_any(ids.clone()));
                }
                if let Some(ids) = &groups {
                    q = q.filter(procedures::field_id.eq_any(ids.clone()));
                }
                if let Some(from) = from {
                    q = q.filter(procedures::updated_at.ge(from));
                }
                if let Some(to) = to {
                    q = q.filter(procedures::updated_at.le(to));
                }
                q
            };
            let count: i64 = query().count().get_result(conn)?;
            let rows = query()
                .order((procedures::updated_at.desc(), procedures::id.desc()))
                .select((procedures::updated_at, procedures::id))
                .limit(keep)
                .load(conn)?;
            Ok((count as u64, rows))
        }
        Kind::Question => {
            let query = || {
                let mut q: questions::BoxedQuery<'static, Db> =
                    questions::table.filter(questions::status.eq(QuestionStatus::Published.as_str())).into_boxed();
                for p in patterns {
                    q = q.filter(questions::search_text.like(p.clone()).escape('\\'));
                }
                if let Some(ids) = &sites {
                    q = q.filter(questions::site_id.eq_any(ids.clone()));
                }
                if let Some(ids) = &groups {
                    q = q.filter(questions::field_id.eq_any(ids.clone()));
                }
                if let Some(from) = from {
                    q = q.filter(questions::published_at.ge(from));
                }
                if let Some(to) = to {
                    q = q.filter(questions::published_at.le(to));
                }
                q
            };
            let count: i64 = query().count().get_result(conn)?;
            let rows: Vec<(Option<NaiveDateTime>, NaiveDateTime, i64)> = query()
                .order((questions::published_at.desc(), questions::id.desc()))
                .select((questions::published_at, questions::created_at, questions::id))
                .limit(keep)
                .load(conn)?;
            Ok((count as u64, rows.into_iter().map(|(at, created, id)| (at.unwrap_or(created), id)).collect()))
        }
        Kind::Event => {
            let query = || {
                let mut q: events::BoxedQuery<'static, Db> = events::table
                    .filter(events::status.ne(EventStatus::Draft.as_str()))
                    .filter(events::deleted_at.is_null())
                    .into_boxed();
                for p in patterns {
                    q = q.filter(events::search_text.like(p.clone()).escape('\\'));
                }
                if let Some(ids) = &sites {
                    q = q.filter(events::site_id.eq_any(ids.clone()));
                }
                if let Some(from) = from {
                    q = q.filter(events::starts_at.ge(from));
                }
                if let Some(to) = to {
                    q = q.filter(events::starts_at.le(to));
                }
                q
            };
            let count: i64 = query().count().get_result(conn)?;
            let rows = query()
                .order((events::starts_at.desc(), events::id.desc()))
                .select((events::starts_at, events::id))
                .limit(keep)
                .load(conn)?;
            Ok((count as u64, rows))
        }
    }
}

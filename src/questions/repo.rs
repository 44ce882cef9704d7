//! Queries of questions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{QuestionRow, QuestionStatus};
use crate::db::schema::questions;
use crate::db::{self, Db, DbConn};

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<QuestionRow>> {
    questions::table.find(id).select(QuestionRow::as_select()).first(conn).optional()
}

/// The question with this id (when `key` is a number) or slug.
pub fn find_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<QuestionRow>> {
    match key.parse::<i64>() {
        Ok(id) => find(conn, id),
        Err(_) => {
            questions::table.filter(questions::slug.eq(key)).select(QuestionRow::as_select()).first(conn).optional()
        }
    }
}

/// Loads a question locked for the rest of the write transaction (see [`db::lock_row`]).
pub fn find_for_write(conn: &mut DbConn, id: i64) -> QueryResult<Option<QuestionRow>> {
    db::lock_row(conn, "questions", id)?;
    find(conn, id)
}

pub fn find_by_tracking_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<QuestionRow>> {
    questions::table.filter(questions::tracking_code.eq(code)).select(QuestionRow::as_select()).first(conn).optional()
}

pub fn find_by_idempotency_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<QuestionRow>> {
    questions::table.filter(questions::idempotency_key.eq(key)).select(QuestionRow::as_select()).first(conn).optional()
}

/// Whether a question with this fingerprint came since `since` and still has its secret.
pub fn recent_duplicate(conn: &mut DbConn, fingerprint: &str, since: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        questions::table
            .filter(questions::fingerprint.eq(fingerprint))
            .filter(questions::created_at.ge(since))
            .filter(questions::secret_sealed.is_not_null()),
    ))
    .get_result(conn)
}

/// A question as received; personal data already sealed.
pub struct NewQuestion<'a> {
    pub site_id: i64,
    pub tracking_code: String,
    pub secret_hash: String,
    pub secret_sealed: String,
    pub field_id: i64,
    pub procedure_code: Option<&'a str>,
    pub title: &'a str,
    pub question: &'a str,
    pub asker_name: String,
    pub asker_phone: Option<String>,
    pub asker_email: Option<String>,
    pub contact_index: Option<String>,
    pub consent_version: &'a str,
    pub search_text: String,
    pub idempotency_key: Option<String>,
    pub fingerprint: String,
    pub now: NaiveDateTime,
}

/// Inserts a question (pending), in a savepoint so that a unique violation (a concurrent retry with
/// the same `Idempotency-Key`) leaves the transaction usable; returns its id.
pub fn insert(conn: &mut DbConn, new: &NewQuestion<'_>) -> QueryResult<i64> {
    conn.transaction(|c| {
        diesel::insert_into(questions::table)
            .values((
                questions::site_id.eq(new.site_id),
                questions::tracking_code.eq(&new.tracking_code),
                questions::secret_hash.eq(&new.secret_hash),
                questions::secret_sealed.eq(Some(&new.secret_sealed)),
                questions::field_id.eq(new.field_id),
                questions::procedure_code.eq(new.procedure_code),
                questions::title.eq(new.title),
                questions::question.eq(new.question),
                questions::original_title.eq(new.title),
                questions::original_question.eq(new.question),
                questions::asker_name.eq(Some(&new.asker_name)),
                questions::asker_phone.eq(&new.asker_phone),
                questions::asker_email.eq(&new.asker_email),
                questions::contact_index.eq(&new.contact_index),
                questions::consent_version.eq(new.consent_version),
                questions::consent_at.eq(new.now),
                questions::status.eq(QuestionStatus::Pending.as_str()),
                questions::search_text.eq(&new.search_text),
                questions::idempotency_key.eq(&new.idempotency_key),
                questions::fingerprint.eq(&new.fingerprint),
                questions::created_at.eq(new.now),
                questions::updated_at.eq(new.now),
            ))
            .returning(questions::id)
            .get_result::<i64>(c)
    })
}

/// What a list of questions is filtered by.
pub struct QuestionFilter {
    /// Staff see every status and filter dates by arrival; the public, published ones by publication.
    pub staff: bool,
    pub status: Option<QuestionStatus>,
    pub own_site: Option<i64>,
    pub site_ids: Option<Vec<i64>>,
    pub field_id: Option<i64>,
    pub procedure: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub words: Vec<String>,
    /// What the search engine found for the words (then `words` is empty).
    pub found: Option<Vec<i64>>,
}

/// The orders a list of questions may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionSort {
    PublishedDesc,
    PublishedAsc,
    ViewsDesc,
    Featured,
}

impl QuestionSort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "-published_at" => Some(Self::PublishedDesc),
            "published_at" => Some(Self::PublishedAsc),
            "-view_count" => Some(Self::ViewsDesc),
            "featured" => Some(Self::Featured),
            _ => None,
        }
    }
}

fn filtered(filter: &QuestionFilter) -> questions::BoxedQuery<'static, Db> {
    let mut q: questions::BoxedQuery<'static, Db> = questions::table.into_boxed();
    q = match (filter.staff, filter.status) {
        (_, Some(s)) => q.filter(questions::status.eq(s.as_str())),
        (true, None) => q,
        (false, None) => q.filter(questions::status.eq(QuestionStatus::Published.as_str())),
    };
    if let Some(own) = filter.own_site {
        q = q.filter(questions::site_id.eq(own));
    }
    if let Some(ids) = &filter.site_ids {
        q = q.filter(questions::site_id.eq_any(ids.clone()));
    }
    if let Some(id) = filter.field_id {
        q = q.filter(questions::field_id.eq(id));
    }
    if let Some(code) = &filter.procedure {
        q = q.filter(questions::procedure_code.eq(code.clone()));
    }
    if let Some(from) = filter.from {
        q = if filter.staff {
            q.filter(questions::created_at.ge(from))
        } else {
            q.filter(questions::published_at.ge(from))
        };
    }
    if let Some(to) = filter.to {
        q = if filter.staff {
            q.filter(questions::created_at.le(to))
        } else {
            q.filter(questions::published_at.le(to))
        };
    }
    for word in &filter.words {
        q = q.filter(questions::search_text.like(db::like_contains(word)).escape('\\'));
    }
    if let Some(ids) = &filter.found {
        q = q.filter(questions::id.eq_any(ids.clone()));
    }
    q
}

/// The ids of every question the filters keep, in no order (the engine's order pages them).
pub fn matching_ids(conn: &mut DbConn, filter: &QuestionFilter) -> QueryResult<Vec<i64>> {
    filtered(filter).select(questions::id).load(conn)
}

/// A page of questions, and how many match over all pages.
pub fn list(
    conn: &mut DbConn,
    filter: &QuestionFilter,
    sort: QuestionSort,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<QuestionRow>, i64)> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let ordered = match sort {
        QuestionSort::PublishedAsc => filtered(filter).order((questions::published_at.asc(), questions::id.asc())),
        QuestionSort::ViewsDesc => filtered(filter).order((questions::view_count.desc(), questions::id.desc())),
        QuestionSort::Featured => {
            filtered(filter).order((questions::featured.desc(), questions::view_count.desc(), questions::id.desc()))
        }
        QuestionSort::PublishedDesc => {
            filtered(filter).order((questions::published_at.desc(), questions::created_at.desc(), questions::id.desc()))
        }
    };
    let rows = ordered.offset(offset).limit(limit).select(QuestionRow::as_select()).load(conn)?;
    Ok((rows, total))
}

pub fn count_view(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::update(questions::table.find(id)).set(questions::view_count.eq(questions::view_count + 1)).execute(conn)?;
    Ok(())
}

/// The public wording and filing of a question, as a moderator corrects them.
pub struct Wording<'a> {
    pub title: &'a str,
    pub question: &'a str,
    pub field_id: i64,
    pub procedure_code: Option<String>,
    pub featured: bool,
    pub search_text: String,
}

pub fn update_wording(conn: &mut DbConn, id: i64, wording: &Wording<'_>) -> QueryResult<()> {
    diesel::update(questions::table.find(id))
        .set((
            questions::title.eq(wording.title),
            questions::question.eq(wording.question),
            questions::field_id.eq(wording.field_id),
            questions::procedure_code.eq(&wording.procedure_code),
            questions::featured.eq(wording.featured),
            questions::search_text.eq(&wording.search_text),
            questions::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An answer, as stored.
pub struct Answer<'a> {
    pub answer: &'a str,
    pub answering_unit: &'a str,
    pub answered_at: NaiveDateTime,
    pub status: QuestionStatus,
    pub search_text: String,
}

pub fn set_answer(conn: &mut DbConn, id: i64, answer: &Answer<'_>) -> QueryResult<()> {
    diesel::update(questions::table.find(id))
        .set((
            questions::answer.eq(Some(answer.answer)),
            questions::answering_unit.eq(Some(answer.answering_unit)),
            questions::answered_at.eq(Some(answer.answered_at)),
            questions::status.eq(answer.status.as_str()),
            questions::search_text.eq(&answer.search_text),
            questions::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn publish(conn: &mut DbConn, id: i64, slug: &str, published_at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(questions::table.find(id))
        .set((
            questions::status.eq(QuestionStatus::Published.as_str()),
            questions::slug.eq(Some(slug)),
            questions::published_at.eq(Some(published_at)),
            questions::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_status(conn: &mut DbConn, id: i64, status: QuestionStatus) -> QueryResult<()> {
    diesel::update(questions::table.find(id))
        .set((questions::status.eq(status.as_str()), questions::updated_at.eq(db::now())))
        .execute(conn)?;
    Ok(())
}

pub fn reject(conn: &mut DbConn, id: i64, reason: &str) -> QueryResult<()> {
    diesel::update(questions::table.find(id))
        .set((
            questions::status.eq(QuestionStatus::Rejected.as_str()),
            questions::rejection_reason.eq(Some(reason)),
            questions::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Erases the asker's personal data and the sealed secret; the question and answer stay.
pub fn erase_asker(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::update(questions::table.find(id))
        .set((
            questions::asker_name.eq(None::<String>),
            questions::asker_phone.eq(None::<String>),
            questions::asker_email.eq(None::<String>),
            questions::contact_index.eq(None::<String>),
            questions::secret_sealed.eq(None::<String>),
            questions::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Of these questions, the published ones.
pub fn public_rows(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<QuestionRow>> {
    questions::table
        .filter(questions::id.eq_any(ids.to_vec()))
        .filter(questions::status.eq(QuestionStatus::Published.as_str()))
        .select(QuestionRow::as_select())
        .load(conn)
}

fn published_of_site(site_id: i64) -> questions::BoxedQuery<'static, Db> {
    questions::table
        .filter(questions::site_id.eq(site_id))
        .filter(questions::status.eq(QuestionStatus::Published.as_str()))
        .into_boxed()
}

/// How many questions of a site are published (each is a page of its portal).
pub fn count_pages(conn: &mut DbConn, site_id: i64) -> QueryResult<i64> {
    published_of_site(site_id).count().get_result(conn)
}

/// A slice of a site's published questions as pages (by slug), by id.
pub fn pages(
    conn: &mut DbConn,
    site_id: i64,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<crate::sites::model::PageEntry>> {
    let rows: Vec<(i64, Option<String>, NaiveDateTime)> = published_of_site(site_id)
        .order(questions::id.asc())
        .select((questions::id, questions::slug, questions::updated_at))
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, lastmod)| crate::sites::model::PageEntry {
            id,
            key: slug.unwrap_or_else(|| id.to_string()),
            lastmod,
        })
        .collect())
}

//! Queries on feedback: topics, submissions, the trail, personal data access and erasure.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::model::{FeedbackKind, FeedbackRow, FeedbackStatus, TopicRef, TopicRow};
use crate::db::schema::{feedback, feedback_topics, feedback_trail, personal_data_access};
use crate::db::{Db, DbConn};

pub fn topics(conn: &mut DbConn, site_ids: Option<&[i64]>, active_only: bool) -> QueryResult<Vec<TopicRow>> {
    let mut query = feedback_topics::table.select(TopicRow::as_select()).into_boxed();
    if let Some(ids) = site_ids {
        query = query.filter(feedback_topics::site_id.eq_any(ids.to_vec()));
    }
    if active_only {
        query = query.filter(feedback_topics::active.eq(true));
    }
    query.order((feedback_topics::site_id, feedback_topics::position, feedback_topics::name)).load(conn)
}

pub fn topic_by_code(conn: &mut DbConn, site_id: i64, code: &str) -> QueryResult<Option<TopicRow>> {
    feedback_topics::table
        .filter(feedback_topics::site_id.eq(site_id))
        .filter(feedback_topics::code.eq(code))
        .select(TopicRow::as_select())
        .first(conn)
        .optional()
}

pub fn topic_refs(conn: &mut DbConn, ids: Vec<i64>) -> QueryResult<HashMap<i64, TopicRef>> {
    Ok(feedback_topics::table
        .filter(feedback_topics::id.eq_any(ids))
        .select((feedback_topics::id, feedback_topics::code, feedback_topics::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, TopicRef { id, code, name }))
        .collect())
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<FeedbackRow>> {
    feedback::table.find(id).select(FeedbackRow::as_select()).first(conn).optional()
}

pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<FeedbackRow>> {
    feedback::table.filter(feedback::tracking_code.eq(code)).select(FeedbackRow::as_select()).first(conn).optional()
}

pub fn find_by_idempotency_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<FeedbackRow>> {
    feedback::table.filter(feedback::idempotency_key.eq(key)).select(FeedbackRow::as_select()).first(conn).optional()
}

/// The same submission (same fingerprint) received since `since`, if any.
pub fn find_duplicate(conn: &mut DbConn, fingerprint: &str, since: NaiveDateTime) -> QueryResult<Option<FeedbackRow>> {
    feedback::table
        .filter(feedback::fingerprint.eq(fingerprint))
        .filter(feedback::created_at.ge(since))
        .filter(feedback::secret_sealed.is_not_null())
        .order(feedback::id.desc())
        .select(FeedbackRow::as_select())
        .first(conn)
        .optional()
}

pub fn add_trail(
    conn: &mut DbConn,
    feedback_id: i64,
    actor: Option<i64>,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(feedback_trail::table)
        .values((
            feedback_trail::feedback_id.eq(feedback_id),
            feedback_trail::actor_id.eq(actor),
            feedback_trail::action.eq(action),
            feedback_trail::from_status.eq(from),
            feedback_trail::to_status.eq(to),
            feedback_trail::note.eq(note),
            feedback_trail::at.eq(crate::db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// One entry of a submission's trail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = feedback_trail)]
pub struct TrailRow {
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    pub actor_id: Option<i64>,
    pub at: NaiveDateTime,
}

/// A submission's trail, oldest first.
pub fn trail(conn: &mut DbConn, feedback_id: i64) -> QueryResult<Vec<TrailRow>> {
    feedback_trail::table
        .filter(feedback_trail::feedback_id.eq(feedback_id))
        .order(feedback_trail::id.asc())
        .select(TrailRow::as_select())
        .load(conn)
}

/// Records that `user_id` read, exported or erased the personal data of a submission.
pub fn log_access(conn: &mut DbConn, feedback_id: i64, user_id: i64, action: &str) -> QueryResult<()> {
    diesel::insert_into(personal_data_access::table)
        .values((
            personal_data_access::feedback_id.eq(feedback_id),
            personal_data_access::user_id.eq(Some(user_id)),
            personal_data_access::action.eq(action),
            personal_data_access::at.eq(crate::db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn access_log(conn: &mut DbConn, feedback_id: i64) -> QueryResult<Vec<(Option<i64>, String, NaiveDateTime)>> {
    personal_data_access::table
        .filter(personal_data_access::feedback_id.eq(feedback_id))
        .order(personal_data_access::id.asc())
        .select((personal_data_access::user_id, personal_data_access::action, personal_data_access::at))
        .load(conn)
}

/// Removes the submitter's personal data, keeping the feedback text and the trail.
pub fn erase_personal_data(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    let now = crate::db::now();
    diesel::update(feedback::table.find(id).filter(feedback::personal_data_erased_at.is_null()))
        .set((
            feedback::submitter_name.eq(None::<String>),
            feedback::submitter_phone.eq(None::<String>),
            feedback::submitter_email.eq(None::<String>),
            feedback::submitter_address.eq(None::<String>),
            feedback::contact_index.eq(None::<String>),
            feedback::secret_sealed.eq(None::<String>),
            feedback::personal_data_erased_at.eq(Some(now)),
            feedback::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Erases the personal data of submissions closed more than `days` days ago; returns how many.
pub fn apply_retention(conn: &mut DbConn, days: u32) -> QueryResult<usize> {
    let cutoff = crate::db::now() - Duration::days(i64::from(days));
    let due: Vec<i64> = feedback::table
        .filter(feedback::closed_at.le(cutoff))
        .filter(feedback::personal_data_erased_at.is_null())
        .select(feedback::id)
        .load(conn)?;
    for id in &due {
        erase_personal_data(conn, *id)?;
        add_trail(conn, *id, None, "personal_data_erased", None, None, Some("retention period over"))?;
    }
    Ok(due.len())
}

/// Forgets the sealed secrets kept for idempotent replies once the replay window is over.
pub fn forget_old_secrets(conn: &mut DbConn, older_than: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        feedback::table.filter(feedback::created_at.lt(older_than)).filter(feedback::secret_sealed.is_not_null()),
    )
    .set(feedback::secret_sealed.eq(None::<String>))
    .execute(conn)
}

/// The periodic upkeep of feedback: the retention period, and forgetting the secrets kept for
/// idempotent replies after a day. Returns how many submissions had their personal data erased.
pub fn maintain(conn: &mut DbConn, retention_days: Option<u32>) -> QueryResult<usize> {
    forget_old_secrets(conn, crate::db::now() - Duration::days(1))?;
    match retention_days {
        Some(days) => apply_retention(conn, days),
        None => Ok(0),
    }
}

/// The code of the active topic with this code, if there is one.
pub fn active_topic_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<String>> {
    feedback_topics::table
        .filter(feedback_topics::code.eq(code))
        .filter(feedback_topics::active.eq(true))
        .select(feedback_topics::code)
        .first(conn)
        .optional()
}

/// Loads a submission for a staff write, locked for the rest of the transaction (see
/// [`crate::db::lock_row`]).
pub fn find_for_write(conn: &mut DbConn, id: i64) -> QueryResult<Option<FeedbackRow>> {
    crate::db::lock_row(conn, "feedback", id)?;
    find(conn, id)
}

/// A submission as received; personal data already sealed.
pub struct NewFeedback<'a> {
    pub site_id: i64,
    pub tracking_code: &'a str,
    pub secret_hash: String,
    pub secret_sealed: String,
    pub kind: FeedbackKind,
    pub topic_id: i64,
    pub subject_type: Option<&'a str>,
    pub subject_ref: Option<String>,
    pub title: &'a str,
    pub content: &'a str,
    pub search_text: String,
    pub submitter_type: &'a str,
    pub submitter_name: String,
    pub submitter_phone: Option<String>,
    pub submitter_email: Option<String>,
    pub submitter_address: Option<String>,
    pub contact_index: Option<String>,
    pub consent_version: &'a str,
    pub idempotency_key: Option<String>,
    pub fingerprint: &'a str,
    pub now: NaiveDateTime,
}

/// Inserts a submission (received); returns its id.
pub fn insert(conn: &mut DbConn, new: &NewFeedback<'_>) -> QueryResult<i64> {
    diesel::insert_into(feedback::table)
        .values((
            feedback::site_id.eq(new.site_id),
            feedback::tracking_code.eq(new.tracking_code),
            feedback::secret_hash.eq(&new.secret_hash),
            feedback::secret_sealed.eq(Some(&new.secret_sealed)),
            feedback::kind.eq(new.kind.as_str()),
            feedback::topic_id.eq(new.topic_id),
            feedback::subject_type.eq(new.subject_type),
            feedback::subject_ref.eq(&new.subject_ref),
            feedback::title.eq(new.title),
            feedback::content.eq(new.content),
            feedback::search_text.eq(&new.search_text),
            feedback::submitter_type.eq(new.submitter_type),
            feedback::submitter_name.eq(Some(&new.submitter_name)),
            feedback::submitter_phone.eq(&new.submitter_phone),
            feedback::submitter_email.eq(&new.submitter_email),
            feedback::submitter_address.eq(&new.submitter_address),
            feedback::contact_index.eq(&new.contact_index),
            feedback::consent_version.eq(new.consent_version),
            feedback::consent_at.eq(new.now),
            feedback::status.eq(FeedbackStatus::Received.as_str()),
            feedback::idempotency_key.eq(&new.idempotency_key),
            feedback::fingerprint.eq(new.fingerprint),
            feedback::created_at.eq(new.now),
            feedback::updated_at.eq(new.now),
        ))
        .returning(feedback::id)
        .get_result::<i64>(conn)
}

/// As [`insert`], in a savepoint: a unique violation (a concurrent retry with the same
/// `Idempotency-Key`) then leaves the transaction usable.
pub fn insert_in_savepoint(conn: &mut DbConn, new: &NewFeedback<'_>) -> QueryResult<i64> {
    conn.transaction(|c| insert(c, new))
}

/// What the staff queue is filtered by.
pub struct StaffFilter {
    /// The staff member's own site, when bound to one.
    pub own_site: Option<i64>,
    pub site_ids: Option<Vec<i64>>,
    pub status: Option<FeedbackStatus>,
    pub kind: Option<FeedbackKind>,
    /// Topics by code: every site's topic with that code.
    pub topic: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// `Some(None)`: unassigned ones.
    pub assignee: Option<Option<i64>>,
    pub words: Vec<String>,
}

fn topic_ids(conn: &mut DbConn, code: Option<&str>) -> QueryResult<Option<Vec<i64>>> {
    code.map(|code| {
        feedback_topics::table.filter(feedback_topics::code.eq(code)).select(feedback_topics::id).load(conn)
    })
    .transpose()
}

/// A page of the staff queue, newest first, and how many match over all pages.
pub fn staff_list(conn: &mut DbConn, f: &StaffFilter, offset: i64, limit: i64) -> QueryResult<(Vec<FeedbackRow>, i64)> {
    let topic_ids = topic_ids(conn, f.topic.as_deref())?;
    let filtered = || {
        let mut q: feedback::BoxedQuery<'_, Db> = feedback::table.into_boxed();
        if let Some(own) = f.own_site {
            q = q.filter(feedback::site_id.eq(own));
        }
        if let Some(ids) = &f.site_ids {
            q = q.filter(feedback::site_id.eq_any(ids.clone()));
        }
        if let Some(status) = f.status {
            q = q.filter(feedback::status.eq(status.as_str()));
        }
        if let Some(kind) = f.kind {
            q = q.filter(feedback::kind.eq(kind.as_str()));
        }
        if let Some(ids) = &topic_ids {
            q = q.filter(feedback::topic_id.eq_any(ids.clone()));
        }
        if let Some(from) = f.from {
            q = q.filter(feedback::created_at.ge(from));
        }
        if let Some(to) = f.to {
            q = q.filter(feedback::created_at.le(to));
        }
        match f.assignee {
            Some(None) => q = q.filter(feedback::assignee_id.is_null()),
            Some(Some(id)) => q = q.filter(feedback::assignee_id.eq(id)),
            None => {}
        }
        for word in &f.words {
            q = q.filter(feedback::search_text.like(crate::db::like_contains(word)).escape('\\'));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((feedback::created_at.desc(), feedback::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(FeedbackRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// What the published list is filtered by.
#[derive(Default)]
pub struct PublishedFilter<'a> {
    pub site_ids: Option<&'a [i64]>,
    pub topic: Option<&'a str>,
    pub kind: Option<FeedbackKind>,
    pub words: &'a [String],
    /// Only these tracking codes.
    pub codes: Option<&'a [String]>,
}

/// A page of published submissions, newest first, and how many match over all pages.
pub fn published(
    conn: &mut DbConn,
    f: &PublishedFilter<'_>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<FeedbackRow>, i64)> {
    let topic_ids = topic_ids(conn, f.topic)?;
    let filtered = || {
        let mut q: feedback::BoxedQuery<'_, Db> =
            feedback::table.filter(feedback::published_at.is_not_null()).into_boxed();
        if let Some(ids) = f.site_ids {
            q = q.filter(feedback::site_id.eq_any(ids.to_vec()));
        }
        if let Some(ids) = &topic_ids {
            q = q.filter(feedback::topic_id.eq_any(ids.clone()));
        }
        if let Some(kind) = f.kind {
            q = q.filter(feedback::kind.eq(kind.as_str()));
        }
        if let Some(codes) = f.codes {
            q = q.filter(feedback::tracking_code.eq_any(codes.to_vec()));
        }
        for word in f.words {
            q = q.filter(feedback::search_text.like(crate::db::like_contains(word)).escape('\\'));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((feedback::published_at.desc(), feedback::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(FeedbackRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn set_reply(conn: &mut DbConn, id: i64, reply: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(feedback::table.find(id))
        .set((feedback::public_reply.eq(Some(reply)), feedback::replied_at.eq(Some(now))))
        .execute(conn)?;
    Ok(())
}

pub fn set_forwarded_to(conn: &mut DbConn, id: i64, body: &str) -> QueryResult<()> {
    diesel::update(feedback::table.find(id)).set(feedback::forwarded_to.eq(Some(body))).execute(conn)?;
    Ok(())
}

/// Publishes (`Some`) or unpublishes (`None`) a submission.
pub fn set_published_at(conn: &mut DbConn, id: i64, at: Option<NaiveDateTime>) -> QueryResult<()> {
    diesel::update(feedback::table.find(id)).set(feedback::published_at.eq(at)).execute(conn)?;
    Ok(())
}

/// Moves a submission to `status`, closed at `now` when the status closes it.
pub fn set_status(conn: &mut DbConn, id: i64, status: FeedbackStatus, now: NaiveDateTime) -> QueryResult<()> {
    let closed = status.is_closed().then_some(now);
    diesel::update(feedback::table.find(id))
        .set((feedback::status.eq(status.as_str()), feedback::closed_at.eq(closed)))
        .execute(conn)?;
    Ok(())
}

pub fn touch(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(feedback::table.find(id)).set(feedback::updated_at.eq(now)).execute(conn)?;
    Ok(())
}

pub fn set_assignee(conn: &mut DbConn, id: i64, assignee: Option<i64>) -> QueryResult<()> {
    diesel::update(feedback::table.find(id))
        .set((feedback::assignee_id.eq(assignee), feedback::updated_at.eq(crate::db::now())))
        .execute(conn)?;
    Ok(())
}

/// A new topic.
pub struct NewTopic<'a> {
    pub site_id: i64,
    pub code: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub position: i32,
}

pub fn insert_topic(conn: &mut DbConn, new: &NewTopic<'_>) -> QueryResult<i64> {
    let now = crate::db::now();
    diesel::insert_into(feedback_topics::table)
        .values((
            feedback_topics::site_id.eq(new.site_id),
            feedback_topics::code.eq(new.code),
            feedback_topics::name.eq(new.name),
            feedback_topics::description.eq(new.description),
            feedback_topics::active.eq(true),
            feedback_topics::position.eq(new.position),
            feedback_topics::created_at.eq(now),
            feedback_topics::updated_at.eq(now),
        ))
        .returning(feedback_topics::id)
        .get_result(conn)
}

pub fn find_topic(conn: &mut DbConn, id: i64) -> QueryResult<Option<TopicRow>> {
    feedback_topics::table.find(id).select(TopicRow::as_select()).first(conn).optional()
}

/// Changes to a topic; `None` leaves a column as it is.
pub struct TopicChange<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub active: Option<bool>,
    pub position: Option<i32>,
}

pub fn update_topic(conn: &mut DbConn, id: i64, change: &TopicChange<'_>) -> QueryResult<()> {
    diesel::update(feedback_topics::table.find(id))
        .set((
            change.name.map(|n| feedback_topics::name.eq(n.to_owned())),
            change.description.map(|d| feedback_topics::description.eq(d.to_owned())),
            change.active.map(|a| feedback_topics::active.eq(a)),
            change.position.map(|p| feedback_topics::position.eq(p)),
            feedback_topics::updated_at.eq(crate::db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Of these submissions, the published ones.
pub fn published_rows(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<FeedbackRow>> {
    feedback::table
        .filter(feedback::id.eq_any(ids.to_vec()))
        .filter(feedback::published_at.is_not_null())
        .select(FeedbackRow::as_select())
        .load(conn)
}

/// Of these topics, the active ones.
pub fn active_topics(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<TopicRow>> {
    feedback_topics::table
        .filter(feedback_topics::id.eq_any(ids.to_vec()))
        .filter(feedback_topics::active.eq(true))
        .select(TopicRow::as_select())
        .load(conn)
}

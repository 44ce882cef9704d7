//! Queries on feedback: topics, submissions, the trail, personal data access and erasure.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::model::{FeedbackRow, TopicRef, TopicRow};
use crate::db::DbConn;
use crate::db::schema::{feedback, feedback_topics, feedback_trail, personal_data_access};

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

pub type TrailRow = (String, Option<String>, Option<String>, Option<String>, Option<i64>, NaiveDateTime);

pub fn trail(conn: &mut DbConn, feedback_id: i64) -> QueryResult<Vec<TrailRow>> {
    feedback_trail::table
        .filter(feedback_trail::feedback_id.eq(feedback_id))
        .order(feedback_trail::id.asc())
        .select((
            feedback_trail::action,
            feedback_trail::from_status,
            feedback_trail::to_status,
            feedback_trail::note,
            feedback_trail::actor_id,
            feedback_trail::at,
        ))
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

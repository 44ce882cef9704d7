//! Reading the change log in commit order.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::Value;

use super::model::{ChangeRow, Position, ResourceType};
use crate::db::DbConn;
use crate::db::schema::changes;
use crate::error::ApiError;
use crate::{articles, categories, events, feedback, procedures, questions, sites};

/// The place of the last entry committed (the beginning when there is none).
pub fn last_position(conn: &mut DbConn) -> QueryResult<Position> {
    let last: Option<(i64, i64)> = changes::table
        .order((changes::tick.desc(), changes::id.desc()))
        .select((changes::tick, changes::id))
        .first(conn)
        .optional()?;
    Ok(last.map_or(Position::default(), |(tick, id)| Position { tick, id }))
}

/// Every entry after `after` (public or not), in commit order, at most `limit`: what webhooks fan out.
pub fn after(conn: &mut DbConn, after: Position, limit: i64) -> QueryResult<Vec<ChangeRow>> {
    changes::table
        .filter(changes::tick.gt(after.tick).or(changes::tick.eq(after.tick).and(changes::id.gt(after.id))))
        .order((changes::tick.asc(), changes::id.asc()))
        .select(ChangeRow::as_select())
        .limit(limit)
        .load(conn)
}

/// Public entries after `after`, in commit order (tick, then id), at most `limit`.
pub fn public_after(
    conn: &mut DbConn,
    after: Position,
    site_ids: Option<&[i64]>,
    types: &[ResourceType],
    limit: i64,
) -> QueryResult<Vec<ChangeRow>> {
    let mut query = changes::table
        .filter(changes::public.eq(true))
        .filter(changes::tick.gt(after.tick).or(changes::tick.eq(after.tick).and(changes::id.gt(after.id))))
        .into_boxed();
    if let Some(ids) = site_ids {
        query = query.filter(changes::site_id.eq_any(ids.to_vec()));
    }
    if !types.is_empty() {
        query = query.filter(changes::resource.eq_any(types.iter().map(|t| t.as_str()).collect::<Vec<_>>()));
    }
    query.order((changes::tick.asc(), changes::id.asc())).select(ChangeRow::as_select()).limit(limit).load(conn)
}

/// The place in the log just after the last public entry committed at or before `at` (by its
/// commit time, which follows commit order to the clock's precision): where a reader that asks
/// for the changes since a time starts.
pub fn position_at(conn: &mut DbConn, at: chrono::NaiveDateTime) -> QueryResult<Position> {
    let last: Option<(i64, i64)> = changes::table
        .filter(changes::public.eq(true))
        .filter(changes::changed_at.le(at))
        .order((changes::tick.desc(), changes::id.desc()))
        .select((changes::tick, changes::id))
        .first(conn)
        .optional()?;
    Ok(last.map_or(Position::default(), |(tick, id)| Position { tick, id }))
}

/// The public view of every resource the entries name that is public now, by type and id.
pub fn payloads(conn: &mut DbConn, rows: &[ChangeRow]) -> Result<HashMap<(ResourceType, i64), Value>, ApiError> {
    let mut payloads = HashMap::new();
    for resource_type in ResourceType::ALL {
        let ids: Vec<i64> = rows
            .iter()
            .filter(|r| r.resource == resource_type.as_str() && r.action != "delete")
            .map(|r| r.resource_id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let found = match resource_type {
            ResourceType::Article => articles::public_by_ids(conn, &ids)?,
            ResourceType::Category => categories::public_by_ids(conn, &ids)?,
            ResourceType::Event => events::public_by_ids(conn, &ids)?,
            ResourceType::Procedure => procedures::public_by_ids(conn, &ids)?,
            ResourceType::Question => questions::public_by_ids(conn, &ids)?,
            ResourceType::Feedback => feedback::published_by_ids(conn, &ids)?,
            ResourceType::Topic => feedback::topics_by_ids(conn, &ids)?,
            ResourceType::Site => sites::public_by_ids(conn, &ids)?,
        };
        payloads.extend(found.into_iter().map(|(id, value)| ((resource_type, id), value)));
    }
    Ok(payloads)
}

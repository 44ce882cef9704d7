//! Reading the change log in commit order.

use diesel::prelude::*;

use super::model::{ChangeRow, Position, ResourceType};
use crate::db::DbConn;
use crate::db::schema::changes;

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

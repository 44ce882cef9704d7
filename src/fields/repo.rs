//! Queries of the fields of administration.

use std::collections::HashMap;

use diesel::prelude::*;

use super::model::{Field, FieldRow};
use crate::db::DbConn;
use crate::db::schema::fields;

/// Every field, in their order.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Field>> {
    let rows: Vec<FieldRow> =
        fields::table.order((fields::position, fields::name)).select(FieldRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(Field::from).collect())
}

/// The field with this code (surrounding spaces ignored).
pub fn by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<FieldRow>> {
    fields::table.filter(fields::code.eq(code.trim())).select(FieldRow::as_select()).first(conn).optional()
}

/// The fields with these ids, by id.
pub fn by_ids(conn: &mut DbConn, ids: Vec<i64>) -> QueryResult<HashMap<i64, Field>> {
    let rows: Vec<FieldRow> = fields::table.filter(fields::id.eq_any(ids)).select(FieldRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|f| (f.id, Field::from(f))).collect())
}

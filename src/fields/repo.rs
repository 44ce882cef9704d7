//! Queries of the fields of administration.

use std::collections::HashMap;

use diesel::prelude::*;

use super::model::{Field, FieldRow};
use crate::db::DbConn;
use crate::db::schema::fields;
use crate::error::{ApiError, FieldError};

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

/// The id of the field a list's `field` parameter names (its code), if it names one; a 400 on
/// `field` when no field has that code.
pub fn filter_id(conn: &mut DbConn, code: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(code) = code else { return Ok(None) };
    let field = by_code(conn, code)?.ok_or_else(|| ApiError::BadRequestFields {
        detail: format!("There is no field `{code}`."),
        errors: vec![FieldError::new("field", "not_found", "no field has this code")],
    })?;
    Ok(Some(field.id))
}

/// The fields with these ids, by id.
pub fn by_ids(conn: &mut DbConn, ids: Vec<i64>) -> QueryResult<HashMap<i64, Field>> {
    let rows: Vec<FieldRow> = fields::table.filter(fields::id.eq_any(ids)).select(FieldRow::as_select()).load(conn)?;
    Ok(rows.into_iter().map(|f| (f.id, Field::from(f))).collect())
}

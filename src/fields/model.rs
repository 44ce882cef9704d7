//! A field of administration, as stored and as served.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::fields;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = fields)]
pub struct FieldRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub position: i32,
}

/// A field of administration (lĩnh vực), shared by procedures and questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Field {
    pub id: i64,
    #[schema(example = "ho-tich")]
    pub code: String,
    #[schema(example = "Hộ tịch")]
    pub name: String,
}

impl From<FieldRow> for Field {
    fn from(r: FieldRow) -> Self {
        Field { id: r.id, code: r.code, name: r.name }
    }
}

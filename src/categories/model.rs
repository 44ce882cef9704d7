//! Category rows, their API shapes and validation.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::categories;
use crate::error::FieldError;
use crate::sites::model::SiteRef;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub id: i64,
    pub site_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub position: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A section of a site's content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "site": {"id": 1, "code": "phuong-ben-thanh", "name": "Phường Bến Thành"},
    "name": "Thông tin tuyên truyền", "slug": "thong-tin-tuyen-truyen", "parent_id": null,
    "description": "Tuyên truyền chủ trương, chính sách đến người dân.", "position": 2,
    "created_at": "2026-01-05T02:00:00Z", "updated_at": "2026-01-05T02:00:00Z"
}))]
pub struct Category {
    pub id: i64,
    pub site: SiteRef,
    /// The parent category's id; null for a top-level section.
    pub parent_id: Option<i64>,
    #[schema(example = "Thông tin tuyên truyền")]
    pub name: String,
    /// Unique within the site.
    #[schema(example = "thong-tin-tuyen-truyen")]
    pub slug: String,
    pub description: String,
    /// Order among its siblings, ascending.
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A category with its sub-categories; `children` is filled only with `?tree=true`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryNode {
    #[serde(flatten)]
    pub category: Category,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

/// A short reference to a category, embedded in articles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl Category {
    pub fn from_row(row: CategoryRow, site: SiteRef) -> Self {
        Category {
            id: row.id,
            site,
            parent_id: row.parent_id,
            name: row.name,
            slug: row.slug,
            description: row.description,
            position: row.position,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CategoryListQuery {
    /// Only these sites, by code (repeatable); all sites when absent.
    #[serde(default)]
    pub site: Vec<String>,
    /// Only the children of this category (id or slug); `root` for top-level sections.
    pub parent: Option<String>,
    /// Answer the whole tree, nested under `children`, in one page.
    #[serde(default)]
    pub tree: bool,
    /// Page number, from 1 (flat lists only).
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20; flat lists only).
    pub per_page: Option<u32>,
    /// Comma-separated fields of each item to return (e.g. `id,name`; `id` is always included).
    /// Default: every field.
    pub fields: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CategorySiteQuery {
    /// The site whose category a slug names, by code; needed only when several sites use the slug.
    pub site: Option<String>,
}

/// A new category.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Tin địa phương", "parent_id": 1}))]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    /// 1 to 200 characters.
    pub name: String,
    /// Generated from the name when absent; unique within the site.
    pub slug: Option<String>,
    pub description: Option<String>,
    /// The parent category; absent or null for a top-level section.
    pub parent_id: Option<i64>,
    /// Order among siblings (default 0).
    pub position: Option<i32>,
    /// The site; defaults to the user's site, or to the only site of the deployment.
    pub site_id: Option<i64>,
}

/// Changes to a category; absent fields stay as they are. Setting `parent_id` moves it
/// (null: to the top level); a move that would make a cycle is refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    pub position: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteCategoryQuery {
    /// Move the category's articles to this category (same site) before deleting it.
    pub move_articles_to: Option<i64>,
}

pub fn validate_name(name: &str, errors: &mut Vec<FieldError>) {
    let len = name.trim().chars().count();
    if len == 0 {
        errors.push(FieldError::new("name", "required", "must not be empty"));
    } else if len > 200 {
        errors.push(FieldError::new("name", "too_long", "must be at most 200 characters"));
    }
}

pub fn validate_slug(slug: &str, errors: &mut Vec<FieldError>) {
    if !crate::text::is_valid_slug(slug) {
        errors.push(FieldError::new(
            "slug",
            "invalid_format",
            "must be lowercase letters and digits joined by hyphens",
        ));
    }
}

pub fn validate_description(description: &str, errors: &mut Vec<FieldError>) {
    if description.chars().count() > 2000 {
        errors.push(FieldError::new("description", "too_long", "must be at most 2000 characters"));
    }
}

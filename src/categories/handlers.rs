//! Category endpoints: public reads, editor writes.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::model::{
    Category, CategoryListQuery, CategoryNode, CategorySiteQuery, CreateCategory, DeleteCategoryQuery, UpdateCategory,
    validate_description, validate_name, validate_slug,
};
use super::repo::{self, CategoryChanges, NewCategory};
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn, write_transaction};
use crate::error::{ApiError, FieldError, unique_as};
use crate::http::{ApiJson, ApiQuery, Fields, ListMeta, ListResponse, Paging, list_response};
use crate::sites;
use crate::state::AppState;
use crate::text::slugify;

/// List categories, flat (with `parent_id`) or as a tree (`tree=true`).
#[utoipa::path(
    tag = "categories",
    params(CategoryListQuery),
    responses((status = 200, description = "A page of categories (flat, `children` empty), or every top-level category with its `children` (tree)",
        body = ListResponse<CategoryNode>,
        headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                ("X-Total-Count" = i64, description = "Items over all pages"))))
)]
#[get("/categories")]
pub async fn list_categories(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ApiQuery<CategoryListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    if query.tree && (query.page.is_some() || query.per_page.is_some() || query.parent.is_some()) {
        return Err(ApiError::BadRequest(
            "`tree=true` answers the whole tree: it takes no `page`, `per_page` or `parent`.".into(),
        ));
    }
    let paging = Paging::new(query.page, query.per_page)?;
    let fields = Fields::parse::<CategoryNode>(query.fields.as_deref())?;
    let (all, parent) = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, &query.site)?;
        let all = repo::list_all(conn, site_ids.as_deref())?;
        let parent = match query.parent.as_deref() {
            None => None,
            Some("root") => Some(None),
            Some(key) => Some(Some(resolve_in(&all, key).ok_or_else(|| ApiError::BadRequestFields {
                detail: format!("There is no category `{key}`."),
                errors: vec![FieldError::new("parent", "not_found", "no such category")],
            })?)),
        };
        Ok((all, parent))
    })
    .await?;
    if query.tree {
        let roots = build_tree(&all, None);
        let total = roots.len() as i64;
        let body = ListResponse {
            data: roots,
            meta: ListMeta { total, page: 1, per_page: total.max(1) as u32, next_cursor: None },
        };
        return Ok(HttpResponse::Ok().insert_header(("X-Total-Count", total.to_string())).json(body));
    }
    let selected: Vec<Category> = match parent {
        None => all,
        Some(parent) => all.into_iter().filter(|c| c.parent_id == parent).collect(),
    };
    let total = selected.len() as i64;
    let page = selected
        .into_iter()
        .skip(paging.offset() as usize)
        .take(paging.limit() as usize)
        .map(|category| CategoryNode { category, children: vec![] })
        .collect::<Vec<_>>();
    Ok(list_response(&req, fields.apply(page), total, paging))
}

fn resolve_in(all: &[Category], key: &str) -> Option<i64> {
    match key.parse::<i64>() {
        Ok(id) => all.iter().find(|c| c.id == id).map(|c| c.id),
        Err(_) => all.iter().find(|c| c.slug == key).map(|c| c.id),
    }
}

fn build_tree(all: &[Category], parent: Option<i64>) -> Vec<CategoryNode> {
    all.iter()
        .filter(|c| {
            c.parent_id == parent || (parent.is_none() && c.parent_id.is_some_and(|p| !all.iter().any(|o| o.id == p)))
        })
        .map(|c| CategoryNode { category: c.clone(), children: build_tree(all, Some(c.id)) })
        .collect()
}

/// One category, by slug or id.
#[utoipa::path(
    tag = "categories",
    params(("key" = String, Path, description = "The category's slug, or its numeric id"), CategorySiteQuery),
    responses(
        (status = 200, description = "The category", body = Category),
        (status = 404, description = "No such category"),
    )
)]
#[get("/categories/{key}")]
pub async fn get_category(
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: ApiQuery<CategorySiteQuery>,
) -> Result<web::Json<Category>, ApiError> {
    let key = key.into_inner();
    let site = query.0.site;
    let category = db::run(&state.db, move |conn| {
        let site_ids = sites::site_filter(conn, site.as_slice())?;
        let id = match key.parse::<i64>() {
            Ok(id) => id,
            Err(_) => match repo::find_by_slug(conn, &key, site_ids.as_deref())?.as_slice() {
                [] => return Err(ApiError::not_found("category")),
                [one] => one.id,
                _ => {
                    return Err(ApiError::BadRequestFields {
                        detail: format!("Several sites have a category `{key}`; say which with `site=`."),
                        errors: vec![FieldError::new("site", "required", "is required for this slug")],
                    });
                }
            },
        };
        repo::find(conn, id)?
            .filter(|c| site_ids.as_ref().is_none_or(|ids| ids.contains(&c.site.id)))
            .ok_or_else(|| ApiError::not_found("category"))
    })
    .await?;
    Ok(web::Json(category))
}

/// Create a category (editors, admins).
#[utoipa::path(
    tag = "categories",
    request_body = CreateCategory,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it", body = Category,
            headers(("Location" = String, description = "URL of the new category"))),
        (status = 409, description = "The slug is taken in this site"),
    )
)]
#[post("/categories")]
pub async fn create_category(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateCategory>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let CreateCategory { name, slug, description, parent_id, position, site_id } = body.0;
    let description = description.unwrap_or_default();
    let mut errors = vec![];
    validate_name(&name, &mut errors);
    if let Some(slug) = &slug {
        validate_slug(slug, &mut errors);
    }
    validate_description(&description, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let category = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            let site_id = match parent_id {
                Some(parent_id) => {
                    let parent = parent_in_site(c, parent_id, site_id)?;
                    user.require_site(Some(parent.site_id))?;
                    parent.site_id
                }
                None => sites::site_for_write(c, &user, site_id)?,
            };
            // A generated slug that a concurrent create took first is generated again.
            let attempts = if slug.is_some() { 1 } else { 5 };
            let id = db::retry_unique(c, attempts, |c| {
                let slug = match &slug {
                    Some(slug) => slug.clone(),
                    None => {
                        let base = fallback_slug(&name);
                        db::lock_name(c, &format!("categories.slug:{site_id}:{base}"))?;
                        repo::unique_slug(c, site_id, &base, None)?
                    }
                };
                let new = NewCategory {
                    site_id,
                    parent_id,
                    name: name.trim(),
                    slug: &slug,
                    description: description.trim(),
                    position: position.unwrap_or(0),
                };
                repo::insert(c, &new).map_err(unique_as("slug"))
            })?;
            repo::find(c, id)?.ok_or_else(|| ApiError::internal("category vanished after insert"))
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/categories/{}", category.id)))
        .json(category))
}

fn fallback_slug(name: &str) -> String {
    let slug = slugify(name, 100);
    if slug.is_empty() { "chuyen-muc".to_owned() } else { slug }
}

/// The parent category for a create or move, which must exist and be in the same site.
fn parent_in_site(
    conn: &mut DbConn,
    parent_id: i64,
    site_id: Option<i64>,
) -> Result<super::model::CategoryRow, ApiError> {
    let parent = repo::find_row(conn, parent_id)?
        .ok_or_else(|| ApiError::invalid("parent_id", "not_found", "no category has this id"))?;
    if site_id.is_some_and(|s| s != parent.site_id) {
        return Err(ApiError::invalid("parent_id", "invalid_value", "must be a category of the same site"));
    }
    Ok(parent)
}

/// Change, rename, move or reorder a category (editors, admins).
#[utoipa::path(
    tag = "categories",
    params(("key" = i64, Path, description = "The category's id")),
    request_body = UpdateCategory,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated category", body = Category),
        (status = 404, description = "No such category"),
        (status = 409, description = "The slug is taken in this site"),
    )
)]
#[patch("/categories/{key}")]
pub async fn update_category(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateCategory>,
) -> Result<web::Json<Category>, ApiError> {
    user.require(&[Role::Editor])?;
    let (input, id) = (body.0, id.into_inner());
    let category = db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            change_category(c, &user, id, input)?;
            repo::find(c, id)?.ok_or_else(|| ApiError::not_found("category"))
        })
    })
    .await?;
    Ok(web::Json(category))
}

/// Checks and applies a change to a category, in the caller's transaction.
fn change_category(c: &mut DbConn, user: &AuthUser, id: i64, input: UpdateCategory) -> Result<(), ApiError> {
    let UpdateCategory { name, slug, description, parent_id, position } = input;
    let mut errors = vec![];
    if let Some(name) = &name {
        validate_name(name, &mut errors);
    }
    if let Some(slug) = &slug {
        validate_slug(slug, &mut errors);
    }
    if let Some(description) = &description {
        validate_description(description, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    db::lock_row(c, "categories", id)?;
    let current = repo::find_row(c, id)?.ok_or_else(|| ApiError::not_found("category"))?;
    user.require_site(Some(current.site_id))?;
    if let Some(Some(parent_id)) = parent_id {
        parent_in_site(c, parent_id, Some(current.site_id))?;
        if parent_id == id || repo::ancestors(c, parent_id)?.contains(&id) {
            return Err(ApiError::invalid(
                "parent_id",
                "invalid_value",
                "cannot be the category itself or one of its descendants",
            ));
        }
    }
    let changes = CategoryChanges {
        name: name.map(|n| n.trim().to_owned()),
        slug,
        description: description.map(|d| d.trim().to_owned()),
        parent_id,
        position,
    };
    repo::update(c, id, &changes).map_err(unique_as("slug"))?;
    Ok(())
}

/// Puts back a revision's content of a category (see `crate::revisions`).
pub fn restore_revision(
    c: &mut DbConn,
    user: &AuthUser,
    id: i64,
    content: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ApiError> {
    change_category(c, user, id, crate::http::from_revision(content)?)
}

/// Delete a category (editors, admins).
///
/// Refused with 409 while it has sub-categories, or articles unless `move_articles_to` names the
/// category to move them to (tombstones of deleted articles move too).
#[utoipa::path(
    tag = "categories",
    params(("key" = i64, Path, description = "The category's id"), DeleteCategoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such category"),
        (status = 409, description = "It has sub-categories, or articles and no `move_articles_to`"),
    )
)]
#[delete("/categories/{key}")]
pub async fn delete_category(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    query: ApiQuery<DeleteCategoryQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Editor])?;
    let id = id.into_inner();
    let move_to = query.0.move_articles_to;
    db::run(&state.db, move |conn| {
        write_transaction(conn, |c| {
            db::lock_row(c, "categories", id)?;
            let current = repo::find_row(c, id)?.ok_or_else(|| ApiError::not_found("category"))?;
            user.require_site(Some(current.site_id))?;
            let children = repo::count_children(c, id)?;
            if children > 0 {
                return Err(ApiError::Conflict(format!("The category has {children} sub-categories; move or delete them first.")));
            }
            let articles = repo::count_articles(c, id)?;
            if articles > 0 {
                let Some(target) = move_to else {
                    return Err(ApiError::Conflict(format!(
                        "The category has {articles} articles (deleted ones included); pass `move_articles_to` to move them."
                    )));
                };
                let target_row = repo::find_row(c, target)?.filter(|t| t.id != id && t.site_id == current.site_id).ok_or_else(|| {
                    ApiError::BadRequestFields {
                        detail: "`move_articles_to` must name another category of the same site.".into(),
                        errors: vec![FieldError::new("move_articles_to", "invalid_value", "must be another category of the same site")],
                    }
                })?;
                repo::move_articles(c, id, target_row.id)?;
            }
            repo::delete(c, id)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// These categories as the public sees them (the change feed's payloads).
pub fn public_by_ids(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, serde_json::Value>, ApiError> {
    repo::rows_by_ids(conn, ids)?
        .into_iter()
        .map(|(row, site)| {
            let category = Category::from_row(row, site.into());
            Ok((category.id, serde_json::to_value(&category).map_err(ApiError::internal)?))
        })
        .collect()
}

//! Parsing the list parameters of articles: sort keys, field selections, dates and cursors.

use base64::Engine;
use chrono::{DateTime, NaiveDateTime};
use serde_json::{Map, Value};

use super::repo::{Keyset, SortField, SortKey};
use crate::error::ApiError;

use crate::http::bad_parameter as bad;

/// `sort=-published_at,title` over the whitelist.
pub fn parse_sort(sort: Option<&str>) -> Result<Vec<SortKey>, ApiError> {
    let Some(sort) = sort else { return Ok(vec![]) };
    let mut keys = vec![];
    for part in sort.split(',').map(str::trim) {
        let (desc, name) = match part.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, part),
        };
        let field = match name {
            "published_at" => SortField::PublishedAt,
            "title" => SortField::Title,
            "created_at" => SortField::CreatedAt,
            "updated_at" => SortField::UpdatedAt,
            _ => {
                return Err(bad(
                    "sort",
                    "invalid_value",
                    format!(
                        "`{part}` is not a sort key; use published_at, title, created_at or updated_at, with - for descending"
                    ),
                ));
            }
        };
        if keys.iter().any(|k: &SortKey| k.field == field) {
            return Err(bad("sort", "invalid_value", format!("`{name}` appears twice")));
        }
        keys.push(SortKey { field, desc });
    }
    Ok(keys)
}

pub const ARTICLE_FIELDS: &[&str] = &[
    "id",
    "site",
    "category",
    "title",
    "slug",
    "summary",
    "body",
    "cover",
    "author",
    "tags",
    "status",
    "published_at",
    "word_count",
    "reading_time_minutes",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
];

/// `fields=title,slug` checked against the article's fields; `id` is always kept.
pub fn parse_fields(fields: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(fields) = fields else { return Ok(None) };
    let mut selected = vec!["id".to_owned()];
    for name in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if !ARTICLE_FIELDS.contains(&name) {
            return Err(bad("fields", "invalid_value", format!("`{name}` is not a field of articles")));
        }
        if !selected.iter().any(|s| s == name) {
            selected.push(name.to_owned());
        }
    }
    Ok(Some(selected))
}

/// Keeps only the selected fields of a serialised article.
pub fn project(value: Value, fields: Option<&[String]>) -> Value {
    match (value, fields) {
        (Value::Object(map), Some(fields)) => {
            Value::Object(map.into_iter().filter(|(k, _)| fields.iter().any(|f| f == k)).collect::<Map<_, _>>())
        }
        (value, _) => value,
    }
}

/// Keyset paging works on one date key (plus the id): the default order or `sort` with one of
/// `published_at`, `created_at`, `updated_at`.
pub fn keyset_key(sort: &[SortKey], searching: bool) -> Option<SortKey> {
    match sort {
        [] if !searching => Some(SortKey { field: SortField::PublishedAt, desc: true }),
        [key] if key.field != SortField::Title => Some(*key),
        _ => None,
    }
}

fn field_code(field: SortField) -> &'static str {
    match field {
        SortField::PublishedAt => "p",
        SortField::CreatedAt => "c",
        SortField::UpdatedAt => "u",
        SortField::Title => "t",
    }
}

pub fn encode_cursor(keyset: &Keyset) -> String {
    let value = keyset.value.map(|v| v.and_utc().timestamp_micros().to_string()).unwrap_or_else(|| "-".into());
    let raw =
        format!("{}{}:{}:{}", if keyset.key.desc { "-" } else { "+" }, field_code(keyset.key.field), value, keyset.id);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Decodes a cursor, which must belong to the same sort order.
pub fn decode_cursor(cursor: &str, key: Option<SortKey>) -> Result<Keyset, ApiError> {
    let invalid = || bad("cursor", "invalid_value", "is not a cursor of this list; start again without it");
    let key = key.ok_or_else(|| {
        bad("cursor", "invalid_value", "keyset paging needs the default order or one date sort key, and no `q`")
    })?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let raw = String::from_utf8(raw).map_err(|_| invalid())?;
    let mut parts = raw.splitn(3, ':');
    let (head, value, id) =
        (parts.next().ok_or_else(invalid)?, parts.next().ok_or_else(invalid)?, parts.next().ok_or_else(invalid)?);
    let expected = format!("{}{}", if key.desc { "-" } else { "+" }, field_code(key.field));
    if head != expected {
        return Err(invalid());
    }
    let value = match value {
        "-" => None,
        micros => Some(
            DateTime::from_timestamp_micros(micros.parse().map_err(|_| invalid())?).ok_or_else(invalid)?.naive_utc(),
        ),
    };
    Ok(Keyset { key, value, id: id.parse().map_err(|_| invalid())? })
}

/// Where the articles' changes feed resumes: a place in the change log, or (a cursor from before
/// the change log, or `since`) a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangesStart {
    Log { tick: i64, id: i64 },
    Time(NaiveDateTime),
}

pub fn encode_changes_cursor(tick: i64, id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("lg:{tick}:{id}"))
}

pub fn decode_changes_cursor(cursor: &str) -> Result<ChangesStart, ApiError> {
    let invalid = || bad("cursor", "invalid_value", "is not a cursor of the changes feed");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let raw = String::from_utf8(raw).map_err(|_| invalid())?;
    let mut parts = raw.splitn(3, ':');
    let kind = parts.next();
    let first: i64 = parts.next().and_then(|p| p.parse().ok()).filter(|n| *n >= 0).ok_or_else(invalid)?;
    let id: i64 = parts.next().and_then(|p| p.parse().ok()).filter(|n| *n >= 0).ok_or_else(invalid)?;
    match kind {
        Some("lg") => Ok(ChangesStart::Log { tick: first, id }),
        // A cursor handed out before the feed read the change log: its time.
        Some("ch") => Ok(ChangesStart::Time(DateTime::from_timestamp_micros(first).ok_or_else(invalid)?.naive_utc())),
        _ => Err(invalid()),
    }
}

//! What the index holds of each kind of public content, read from the database: only what the
//! public may see (published and due articles, answered and published questions, procedures in
//! the catalogue, events past their draft), so no search can find a draft.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{articles, events, procedures, questions};

/// The kinds of content search finds, in the order of their codes in the index.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Article,
    Procedure,
    Question,
    Event,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Article, Kind::Procedure, Kind::Question, Kind::Event];

    pub fn code(self) -> u64 {
        self as u64
    }

    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.get(usize::try_from(code).ok()?).copied()
    }

    /// The name of the kind in the API and in the change log.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Article => "article",
            Kind::Procedure => "procedure",
            Kind::Question => "question",
            Kind::Event => "event",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One searchable resource, as the index keeps it.
#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub kind: Kind,
    pub id: i64,
    pub site_id: i64,
    pub group: Option<i64>,
    pub date: NaiveDateTime,
    pub title: String,
    pub summary: String,
    pub body: String,
    /// An article's tags.
    pub tags: Vec<String>,
    pub handle: String,
}

/// The public ones among `ids` of a kind, as documents.
pub fn public_docs(conn: &mut DbConn, kind: Kind, ids: &[i64], now: NaiveDateTime) -> QueryResult<Vec<SearchDoc>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(match kind {
        Kind::Article => {
            let rows = crate::articles::public_rows(conn, ids, now)?;
            let mut tags = crate::articles::tag_names_of(conn, ids)?;
            rows.into_iter()
                .map(|a| SearchDoc {
                    tags: tags.remove(&a.id).unwrap_or_default(),
                    kind,
                    id: a.id,
                    site_id: a.site_id,
                    group: Some(a.category_id),
                    date: a.published_at.unwrap_or(a.created_at),
                    title: a.title,
                    // A summary derived from the body is the body's opening: indexed once, as body.
                    summary: if a.summary_auto { String::new() } else { a.summary },
                    body: crate::text::html_to_text(&a.body),
                    handle: a.slug,
                })
                .collect()
        }
        Kind::Procedure => crate::procedures::public_rows(conn, ids)?
            .into_iter()
            .map(|p| SearchDoc {
                kind,
                id: p.id,
                site_id: p.site_id,
                group: p.field_id,
                date: p.updated_at,
                summary: format!("{} · {}", p.code, p.agency),
                body: record_text(&p.record),
                title: p.name,
                tags: Vec::new(),
                handle: p.code,
            })
            .collect(),
        Kind::Question => crate::questions::public_rows(conn, ids)?
            .into_iter()
            .map(|q| SearchDoc {
                kind,
                id: q.id,
                site_id: q.site_id,
                group: Some(q.field_id),
                date: q.published_at.or(q.answered_at).unwrap_or(q.created_at),
                title: q.title,
                summary: q.question,
                body: q.answer.as_deref().map(crate::text::html_to_text).unwrap_or_default(),
                tags: Vec::new(),
                handle: q.slug.unwrap_or_else(|| q.id.to_string()),
            })
            .collect(),
        Kind::Event => crate::events::public_rows(conn, ids)?
            .into_iter()
            .map(|e| SearchDoc {
                kind,
                id: e.id,
                site_id: e.site_id,
                group: None,
                date: e.starts_at,
                summary: [e.location.as_str(), e.chair.as_str(), e.participants.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" · "),
                body: crate::text::html_to_text(&e.description),
                title: e.title,
                tags: Vec::new(),
                handle: e.id.to_string(),
            })
            .collect(),
    })
}

/// The ids of a kind after `after`, in order, at most `limit`: a rebuild walks them in batches
/// and [`public_docs`] keeps the public ones.
pub fn ids_after(conn: &mut DbConn, kind: Kind, after: i64, limit: i64) -> QueryResult<Vec<i64>> {
    match kind {
        Kind::Article => articles::table
            .filter(articles::id.gt(after))
            .filter(articles::deleted_at.is_null())
            .order(articles::id)
            .select(articles::id)
            .limit(limit)
            .load(conn),
        Kind::Procedure => procedures::table
            .filter(procedures::id.gt(after))
            .order(procedures::id)
            .select(procedures::id)
            .limit(limit)
            .load(conn),
        Kind::Question => questions::table
            .filter(questions::id.gt(after))
            .order(questions::id)
            .select(questions::id)
            .limit(limit)
            .load(conn),
        Kind::Event => {
            events::table.filter(events::id.gt(after)).order(events::id).select(events::id).limit(limit).load(conn)
        }
    }
}

/// The words of a procedure's record (its steps, papers, fees, legal grounds): every text in it.
fn record_text(record: &str) -> String {
    fn walk(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::String(s) => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(s);
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(record) {
        walk(&value, &mut out);
    }
    out
}

//! What a revision of each resource holds: its fields, how each is read from the row on either
//! engine, and which of them a restore puts back.

/// How a field's value is stored, so that both engines' snapshots read back alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    /// SQLite answers 0/1.
    Bool,
    /// Stored in UTC; given as RFC 3339 (`...Z`).
    Time,
    /// A column that holds JSON text, embedded as JSON.
    Json,
}

/// One field of a revision.
#[derive(Debug)]
pub struct Field {
    pub key: &'static str,
    pub kind: Kind,
    /// The SQL for its value (the row is `t`) on SQLite and on PostgreSQL, when it is not the
    /// column of the same name.
    pub sql: Option<(&'static str, &'static str)>,
    /// Whether a restore puts it back (identity and lifecycle stay as they are: a restore never
    /// changes an address, publishes or unpublishes).
    pub restorable: bool,
}

const fn content(key: &'static str, kind: Kind) -> Field {
    Field { key, kind, sql: None, restorable: true }
}

const fn state(key: &'static str, kind: Kind) -> Field {
    Field { key, kind, sql: None, restorable: false }
}

/// A resource that keeps revisions.
#[derive(Debug)]
pub struct Revisioned {
    /// Its name in the change log (`article`).
    pub resource: &'static str,
    pub table: &'static str,
    /// The column naming its site (`id` for a site).
    pub site_column: &'static str,
    pub fields: &'static [Field],
}

impl Revisioned {
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.key == key)
    }
}

use Kind::{Bool, Integer, Json, Text, Time};

pub const SITE: Revisioned = Revisioned {
    resource: "site",
    table: "sites",
    site_column: "id",
    fields: &[
        state("code", Text),
        content("name", Text),
        content("time_zone", Text),
        content("public_url", Text),
        content("page_urls", Json),
    ],
};

pub const CATEGORY: Revisioned = Revisioned {
    resource: "category",
    table: "categories",
    site_column: "site_id",
    fields: &[
        content("name", Text),
        state("slug", Text),
        content("description", Text),
        content("parent_id", Integer),
        content("position", Integer),
    ],
};

pub const ARTICLE: Revisioned = Revisioned {
    resource: "article",
    table: "articles",
    site_column: "site_id",
    fields: &[
        content("title", Text),
        state("slug", Text),
        content("summary", Text),
        content("summary_auto", Bool),
        content("body", Text),
        content("category_id", Integer),
        Field {
            key: "tags",
            kind: Json,
            sql: Some((
                "json((SELECT json_group_array(name) FROM \
                   (SELECT name FROM article_tags WHERE article_id = t.id ORDER BY position)))",
                "(SELECT COALESCE(json_agg(name ORDER BY position), '[]'::json) FROM article_tags \
                   WHERE article_id = t.id)",
            )),
            restorable: true,
        },
        content("cover_url", Text),
        content("cover_alt", Text),
        content("cover_media_id", Integer),
        content("gallery_media_ids", Json),
        content("author", Text),
        state("status", Text),
        state("published_at", Time),
        state("deleted_at", Time),
    ],
};

pub const EVENT: Revisioned = Revisioned {
    resource: "event",
    table: "events",
    site_column: "site_id",
    fields: &[
        content("title", Text),
        content("description", Text),
        content("all_day", Bool),
        content("starts_at", Time),
        content("ends_at", Time),
        content("time_zone", Text),
        content("location", Text),
        content("chair", Text),
        content("participants", Text),
        content("preparing_unit", Text),
        content("article_id", Integer),
        content("attachment_media_ids", Json),
        state("status", Text),
        state("deleted_at", Time),
    ],
};

pub const PROCEDURE: Revisioned = Revisioned {
    resource: "procedure",
    table: "procedures",
    site_column: "site_id",
    fields: &[state("code", Text), content("record", Json), state("source", Text), state("deleted_at", Time)],
};

/// A question's wording and answer; never the asker's personal data or secrets.
pub const QUESTION: Revisioned = Revisioned {
    resource: "question",
    table: "questions",
    site_column: "site_id",
    fields: &[
        content("title", Text),
        content("question", Text),
        Field {
            key: "field",
            kind: Text,
            sql: Some((
                "(SELECT code FROM fields WHERE fields.id = t.field_id)",
                "(SELECT code FROM fields WHERE fields.id = t.field_id)",
            )),
            restorable: true,
        },
        content("procedure_code", Text),
        content("featured", Bool),
        content("answer", Text),
        content("answering_unit", Text),
        state("answered_at", Time),
        state("status", Text),
        state("rejection_reason", Text),
        state("published_at", Time),
        state("slug", Text),
    ],
};

pub const FEEDBACK_TOPIC: Revisioned = Revisioned {
    resource: "topic",
    table: "feedback_topics",
    site_column: "site_id",
    fields: &[
        state("code", Text),
        content("name", Text),
        content("description", Text),
        content("active", Bool),
        content("position", Integer),
    ],
};

/// Every resource that keeps revisions.
pub const ALL: &[&Revisioned] = &[&SITE, &CATEGORY, &ARTICLE, &EVENT, &PROCEDURE, &QUESTION, &FEEDBACK_TOPIC];

pub fn of(resource: &str) -> Option<&'static Revisioned> {
    ALL.iter().copied().find(|r| r.resource == resource)
}

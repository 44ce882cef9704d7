//! The search index: tantivy, one per node, in the data folder. It is derived from the database
//! and never the source of truth: built from the public content, then kept up to date from the
//! change log (the same entries the change feed and webhooks read, in commit order). The last
//! entry applied is saved with each commit of the index, so a restart resumes where it stopped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analysis::{EXACT, FOLDED, VietnameseTokenizer};
use super::source::{Kind, SearchDoc};
use crate::changes::Position;

/// Raised when the schema or the analysis changes: an index of another version is rebuilt.
const SCHEMA_VERSION: u32 = 3;

/// The writer's memory for buffered documents (tantivy's smallest budget is 15 MB).
const WRITER_BYTES: usize = 20_000_000;

/// The index's fields.
#[derive(Clone, Copy)]
pub struct Fields {
    /// `article:12`: the one term that names a document, to replace or delete it.
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    pub site: Field,
    /// The category of an article, the field of a procedure or a question.
    pub group: Field,
    /// Seconds since 1970 (UTC): publication, an event's start, a procedure's last change.
    pub date: Field,
    pub title: Field,
    pub title_exact: Field,
    pub summary: Field,
    pub summary_exact: Field,
    /// An article's tags (searched, not shown).
    pub tags: Field,
    pub body: Field,
    /// How the resource is addressed in its own route (a slug, a code, an id).
    pub handle: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str, stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored { options.set_stored() } else { options }
    };
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        kind: builder.add_u64_field("kind", INDEXED | FAST | STORED),
        id: builder.add_u64_field("id", FAST | STORED),
        site: builder.add_u64_field("site", INDEXED | FAST | STORED),
        group: builder.add_u64_field("group", INDEXED | FAST),
        date: builder.add_i64_field("date", INDEXED | FAST | STORED),
        title: builder.add_text_field("title", text(FOLDED, true)),
        title_exact: builder.add_text_field("title_exact", text(EXACT, false)),
        summary: builder.add_text_field("summary", text(FOLDED, true)),
        summary_exact: builder.add_text_field("summary_exact", text(EXACT, false)),
        tags: builder.add_text_field("tags", text(FOLDED, false)),
        body: builder.add_text_field("body", text(FOLDED, true)),
        handle: builder.add_text_field("handle", STORED),
    };
    (builder.build(), fields)
}

/// What a commit of the index records: where in the change log it stands, for which database.
#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    version: u32,
    database: String,
    tick: i64,
    id: i64,
}

/// An open index: its reader (searches) and its writer (the catch-up, one per node).
pub struct SearchIndex {
    pub fields: Fields,
    pub reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    /// Where the index stands in the change log; `None` until it has been built.
    position: RwLock<Option<Position>>,
    /// The database it was built from (`settings.database_id`); empty when new.
    database: RwLock<String>,
}

impl SearchIndex {
    /// Opens the index in `dir`, or creates an empty one when it is missing, damaged or of another
    /// version (then it must be built before it answers).
    pub fn open(dir: &Path) -> tantivy::Result<Arc<Self>> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir)?;
        let existing = Index::open_in_dir(dir)
            .ok()
            .and_then(|index| Some((payload_of(&index)?, index)))
            .filter(|(payload, index)| index.schema() == schema && payload.version == SCHEMA_VERSION);
        let (index, position, database) = match existing {
            Some((payload, index)) => (index, Some(Position { tick: payload.tick, id: payload.id }), payload.database),
            None => {
                clear(dir)?;
                (Index::create_in_dir(dir, schema)?, None, String::new())
            }
        };
        index.tokenizers().register(FOLDED, VietnameseTokenizer { fold: true });
        index.tokenizers().register(EXACT, VietnameseTokenizer { fold: false });
        let writer = index.writer_with_num_threads(1, WRITER_BYTES)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Arc::new(Self {
            fields,
            reader,
            writer: Mutex::new(writer),
            position: RwLock::new(position),
            database: RwLock::new(database),
        }))
    }

    /// The database the index was built from.
    pub fn database(&self) -> String {
        self.database.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Forgets where the index stands, so that it is built again, from `database`.
    pub fn reset(&self, database: &str) {
        *self.database.write().unwrap_or_else(|p| p.into_inner()) = database.to_owned();
        *self.position.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Where the index stands; `None` while it has not been built.
    pub fn position(&self) -> Option<Position> {
        *self.position.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces what the index holds of `keys` by `docs` (the public ones among them) and commits,
    /// recording `position`.
    pub fn apply(&self, keys: &[(Kind, i64)], docs: &[SearchDoc], position: Position) -> tantivy::Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for (kind, id) in keys {
            writer.delete_term(Term::from_field_text(self.fields.key, &key(*kind, *id)));
        }
        for doc in docs {
            writer.add_document(self.document(doc))?;
        }
        let payload =
            Payload { version: SCHEMA_VERSION, database: self.database(), tick: position.tick, id: position.id };
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&serde_json::to_string(&payload).unwrap_or_default());
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        *self.position.write().unwrap_or_else(|p| p.into_inner()) = Some(position);
        Ok(())
    }

    /// Adds documents without committing (a rebuild in batches; [`Self::apply`] commits).
    pub fn add(&self, docs: &[SearchDoc]) -> tantivy::Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        for doc in docs {
            writer.add_document(self.document(doc))?;
        }
        Ok(())
    }

    /// Empties the index (uncommitted until the next [`Self::apply`]).
    pub fn clear(&self) -> tantivy::Result<()> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner()).delete_all_documents().map(|_| ())
    }

    fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.key, key(doc.kind, doc.id));
        d.add_u64(f.kind, doc.kind.code());
        d.add_u64(f.id, doc.id as u64);
        d.add_u64(f.site, doc.site_id as u64);
        if let Some(group) = doc.group {
            d.add_u64(f.group, group as u64);
        }
        d.add_i64(f.date, doc.date.and_utc().timestamp());
        d.add_text(f.title, &doc.title);
        d.add_text(f.title_exact, &doc.title);
        d.add_text(f.summary, &doc.summary);
        d.add_text(f.summary_exact, &doc.summary);
        for tag in &doc.tags {
            d.add_text(f.tags, tag);
        }
        d.add_text(f.body, &doc.body);
        d.add_text(f.handle, &doc.handle);
        d
    }
}

fn key(kind: Kind, id: i64) -> String {
    format!("{}:{id}", kind.as_str())
}

fn payload_of(index: &Index) -> Option<Payload> {
    let metas = index.load_metas().ok()?;
    serde_json::from_str(metas.payload.as_deref()?).ok()
}

/// Removes an index's files (one of another version, or damaged) before a new one is made.
fn clear(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path: PathBuf = entry?.path();
        if path.is_dir() { std::fs::remove_dir_all(&path)? } else { std::fs::remove_file(&path)? }
    }
    Ok(())
}

//! Search: one box for a portal, across articles, procedures, questions and events, answered by a
//! search engine inside the server (tantivy) instead of the database. The index is derived: built
//! from the database, kept per node in the data folder, caught up from the change log. Its answers
//! are not kept by the response cache: the index follows the change log, not the content version.

mod analysis;
pub mod index;
pub mod query;
mod snippet;
pub mod source;
pub mod sync;

use std::collections::HashSet;
use std::ops::Bound;

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, Order, Score, SegmentOrdinal, SegmentReader, TantivyDocument, Term};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

pub use index::SearchIndex;
pub use source::Kind;

use crate::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::paging::{Paging, page_links};
use crate::http::params::{bad_parameter, parse_instant};
use crate::state::AppState;
use crate::{db, sites};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(search);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words sought (required), case and diacritics ignored (`dan van kheo` finds `Dân vận
    /// khéo`; typed with diacritics, that spelling ranks first). `"in quotes"` is a phrase; the
    /// last word also matches as the start of a word (unless a space follows it); words of five
    /// letters or more forgive one typo when nothing matches as typed. At most 200 characters; the
    /// first 10 words count.
    #[param(required = true)]
    pub q: Option<String>,
    /// Only these kinds (repeatable): `article`, `procedure`, `question`, `event`. The counts per
    /// kind in `meta.counts` ignore this filter, so a frontend can show the other tabs.
    #[serde(default, rename = "type")]
    #[param(rename = "type")]
    pub kind: Vec<String>,
    /// Only these sites, by code (repeatable: `site=a&site=b`).
    #[serde(default)]
    pub site: Vec<String>,
    /// From this date (an article's publication, an event's start, a procedure's or question's
    /// last publication): RFC 3339 or a date, taken in the site's time zone.
    pub from: Option<String>,
    /// Up to this date (a date includes its whole day).
    pub to: Option<String>,
    /// `relevance` (default: the words' weight, titles above summaries above bodies, recent
    /// content lifted) or `-date` (newest first).
    pub sort: Option<String>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    pub per_page: Option<u32>,
}

/// One thing found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    /// `article`, `procedure`, `question` or `event`.
    #[serde(rename = "type")]
    pub kind: Kind,
    pub id: i64,
    /// How its own route addresses it: an article's or question's slug, a procedure's code, an
    /// event's id (`/api/v1/{type}s/{handle}`).
    pub handle: String,
    pub site_id: i64,
    /// The title (a procedure's name).
    pub title: String,
    /// A passage where the words were found, as HTML: the words in `<mark>`, everything else
    /// escaped (safe to insert as it is).
    pub snippet: String,
    /// An article's publication, an event's start, a procedure's last change, a question's
    /// publication (UTC).
    pub date: chrono::NaiveDateTime,
    /// The relevance (higher first); comparable only within one answer.
    pub score: f32,
}

/// How many things of each kind match, whatever `type` asked for.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct KindCounts {
    pub article: u64,
    pub procedure: u64,
    pub question: u64,
    pub event: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchMeta {
    /// Things matching over all pages (of the kinds asked for), exact.
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub counts: KindCounts,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    pub data: Vec<SearchHit>,
    pub meta: SearchMeta,
}

/// Searches the public articles, procedures, questions and events.
///
/// Only what the public can see is found: drafts, scheduled articles before their time, questions
/// not published and deleted content never are. The index follows the database within about a
/// second of a commit, on every node. While a node builds its index (its first start, or after an
/// upgrade that changes the index) it answers 503 with `Retry-After`.
#[utoipa::path(
    tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of things found, best first, and the counts per kind", body = SearchResponse,
            headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                    ("X-Total-Count" = i64, description = "Things matching, over all pages"))),
        (status = 400, description = "No words, a query too long, or an invalid filter"),
        (status = 503, description = "This node is building its index (or cannot use the database); try again after `Retry-After` seconds"),
    )
)]
#[get("/search")]
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ApiQuery<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let paging = Paging::new(query.page, query.per_page)?;
    // Not trimmed: a space after the last word says it is whole (not a prefix being typed).
    let q = query.q.as_deref().unwrap_or_default();
    if q.chars().count() > query::MAX_QUERY_CHARS {
        return Err(bad_parameter("q", "too_long", format!("must be at most {} characters", query::MAX_QUERY_CHARS)));
    }
    let parsed = query::Parsed::new(q).ok_or_else(|| bad_parameter("q", "required", "must hold at least one word"))?;
    let kinds = query
        .kind
        .iter()
        .flat_map(|k| k.split(','))
        .map(|k| Kind::parse(k.trim()).ok_or_else(|| k.to_owned()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|bad| {
            bad_parameter("type", "invalid_value", format!("`{bad}` is not article, procedure, question or event"))
        })?;
    let by_date = match query.sort.as_deref() {
        None | Some("relevance") => false,
        Some("-date") => true,
        Some(_) => return Err(bad_parameter("sort", "invalid_value", "must be `relevance` or `-date`")),
    };
    let zone = state.config.time_zone();
    let from = query.from.as_deref().map(|v| parse_instant("from", v, zone, false)).transpose()?;
    let to = query.to.as_deref().map(|v| parse_instant("to", v, zone, true)).transpose()?;
    let Some(index) = state.search.clone() else {
        return Err(ApiError::Unavailable("search is turned off on this node".into()));
    };
    if index.position().is_none() {
        return Err(ApiError::Unavailable("the search index is being built".into()));
    }
    let sites = query.site.clone();
    let site_ids =
        if sites.is_empty() { None } else { db::run(&state.db, move |conn| sites::site_filter(conn, &sites)).await? };
    let filters = Filters { kinds, site_ids, from, to };
    let answer = web::block(move || run(&index, &parsed, &filters, paging, by_date))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let total = answer.meta.total;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::LINK, page_links(&req, total, paging, None)))
        .insert_header(("X-Total-Count", total.to_string()))
        .json(answer))
}

struct Filters {
    kinds: Vec<Kind>,
    site_ids: Option<Vec<i64>>,
    from: Option<chrono::NaiveDateTime>,
    to: Option<chrono::NaiveDateTime>,
}

fn any_of(terms: impl Iterator<Item = Term>) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .map(|t| (Occur::Should, Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>))
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

/// Runs a search on the index as it stands: as typed, then, when nothing matches, forgiving a
/// typo in long words.
fn run(
    index: &SearchIndex,
    parsed: &query::Parsed,
    filters: &Filters,
    paging: Paging,
    by_date: bool,
) -> tantivy::Result<SearchResponse> {
    let answer = run_with(index, parsed, filters, paging, by_date, false)?;
    if answer.meta.total > 0 || !parsed.allows_typos() {
        return Ok(answer);
    }
    run_with(index, parsed, filters, paging, by_date, true)
}

fn run_with(
    index: &SearchIndex,
    parsed: &query::Parsed,
    filters: &Filters,
    paging: Paging,
    by_date: bool,
    typos: bool,
) -> tantivy::Result<SearchResponse> {
    let f = &index.fields;
    let searcher = index.reader.searcher();
    let mut base: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, parsed.to_query(f, typos))];
    if let Some(ids) = &filters.site_ids {
        base.push((Occur::Must, any_of(ids.iter().map(|id| Term::from_field_u64(f.site, *id as u64)))));
    }
    if filters.from.is_some() || filters.to.is_some() {
        let bound = |at: Option<chrono::NaiveDateTime>| {
            at.map_or(Bound::Unbounded, |t| Bound::Included(Term::from_field_i64(f.date, t.and_utc().timestamp())))
        };
        base.push((Occur::Must, Box::new(RangeQuery::new(bound(filters.from), bound(filters.to)))));
    }
    let counted = BooleanQuery::new(base.iter().map(|(o, q)| (*o, q.box_clone())).collect());
    let counts = searcher.search(&counted, &CountByKind)?;
    let mut wanted = base;
    if !filters.kinds.is_empty() {
        wanted.push((Occur::Must, any_of(filters.kinds.iter().map(|k| Term::from_field_u64(f.kind, k.code())))));
    }
    let wanted = BooleanQuery::new(wanted);
    let total: u64 = if filters.kinds.is_empty() {
        counts.iter().sum()
    } else {
        filters.kinds.iter().map(|k| counts[k.code() as usize]).sum()
    };
    let offset = usize::try_from(paging.offset()).unwrap_or(usize::MAX);
    let top = tantivy::collector::TopDocs::with_limit(paging.per_page as usize).and_offset(offset);
    let hits: Vec<(f32, DocAddress)> = if total as usize <= offset {
        vec![]
    } else if by_date {
        searcher
            .search(&wanted, &top.order_by_fast_field::<i64>("date", Order::Desc))?
            .into_iter()
            .map(|(date, address)| (date.unwrap_or_default() as f32, address))
            .collect()
    } else {
        let now = chrono::Utc::now().timestamp();
        searcher.search(
            &wanted,
            &top.tweak_score(move |segment: &SegmentReader| {
                let dates = segment.fast_fields().i64("date").ok().map(|c| c.first_or_default_col(0));
                move |doc: DocId, score: Score| {
                    let age_days = dates.as_ref().map_or(3650.0, |d| (now - d.get_val(doc)).max(0) as f32 / 86_400.0);
                    // Recent content lifted by up to 30 %, half of that after six months.
                    score * (1.0 + 0.3 / (1.0 + age_days / 180.0))
                }
            }),
        )?
    };
    let marked = parsed.marked_words();
    let marked: HashSet<&str> = marked.iter().map(String::as_str).collect();
    let prefix = parsed.prefix.as_ref().map(|p| p.folded.as_str());
    let mut data = Vec::with_capacity(hits.len());
    for (score, address) in hits {
        let doc: TantivyDocument = searcher.doc(address)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let number = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or_default();
        let kind = Kind::from_code(number(f.kind)).unwrap_or(Kind::Article);
        let date = doc.get_first(f.date).and_then(|v| v.as_i64()).unwrap_or_default();
        let (body, summary) = (text(f.body), text(f.summary));
        let snippet = snippet::passage(&body, &marked, prefix)
            .or_else(|| snippet::passage(&summary, &marked, prefix))
            .unwrap_or_else(|| snippet::opening(if summary.is_empty() { &body } else { &summary }));
        data.push(SearchHit {
            kind,
            id: number(f.id) as i64,
            handle: text(f.handle),
            site_id: number(f.site) as i64,
            title: text(f.title),
            snippet,
            date: chrono::DateTime::from_timestamp(date, 0).unwrap_or_default().naive_utc(),
            score: if by_date { 0.0 } else { score },
        });
    }
    Ok(SearchResponse {
        data,
        meta: SearchMeta {
            total: total as i64,
            page: paging.page,
            per_page: paging.per_page,
            counts: KindCounts { article: counts[0], procedure: counts[1], question: counts[2], event: counts[3] },
        },
    })
}

/// Counts matches per kind in one pass (the kind is a fast field).
struct CountByKind;

struct SegmentCounts {
    kinds: Option<Column<u64>>,
    counts: [u64; 4],
}

impl Collector for CountByKind {
    type Fruit = [u64; 4];
    type Child = SegmentCounts;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentCounts> {
        Ok(SegmentCounts { kinds: segment.fast_fields().u64("kind").ok(), counts: [0; 4] })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<[u64; 4]>) -> tantivy::Result<[u64; 4]> {
        let mut total = [0; 4];
        for fruit in fruits {
            for (t, n) in total.iter_mut().zip(fruit) {
                *t += n;
            }
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentCounts {
    type Fruit = [u64; 4];

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(kind) = self.kinds.as_ref().and_then(|c| c.first(doc))
            && let Some(count) = self.counts.get_mut(kind as usize)
        {
            *count += 1;
        }
    }

    fn harvest(self) -> [u64; 4] {
        self.counts
    }
}

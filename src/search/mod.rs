//! Search: one box for a portal, across articles, procedures, questions and events, answered by a
//! search engine inside the server (tantivy) instead of the database. The index is derived: built
//! from the database, kept per node in the data folder, caught up from the change log. Its answers
//! are kept by the response cache while the index stays where it was (see [`SHARED_ROUTES`]).

mod analysis;
mod collect;
mod facets;
mod fallback;
pub mod index;
mod matches;
pub mod query;
mod snippet;
pub mod source;
pub mod sync;

use std::collections::HashSet;
use std::ops::Bound;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use collect::Rank;
use facets::FacetsWanted;
pub use facets::{FacetValue, SearchFacets};
pub use index::SearchIndex;
pub use matches::{Engine, MATCHES_BOUND, Matches, mark_drawn_from_index};
pub use source::Kind;

use crate::changes::Position;
use crate::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::paging::{Paging, page_links};
use crate::http::params::{bad_parameter, parse_instant};
use crate::state::AppState;
use crate::{db, sites};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(search);
}

/// Routes whose anonymous answers the response cache may share: an answer drawn from the index is
/// kept while both the content version and the index's position stay where they were (facet
/// names come from categories, fields and sites, which advance the content version).
pub const SHARED_ROUTES: &[&str] = &["/api/v1/search"];

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
    /// Only articles in this category (slug or id) or a category below it.
    pub category: Option<String>,
    /// Only procedures and questions in this field (its code).
    pub field: Option<String>,
    /// From this date (an article's publication, an event's start, a procedure's or question's
    /// last publication): RFC 3339 or a date, taken in the site's time zone.
    pub from: Option<String>,
    /// Up to this date (a date includes its whole day).
    pub to: Option<String>,
    /// `relevance` (default: the words' weight, titles above summaries above bodies, recent
    /// content lifted) or `-date` (newest first).
    pub sort: Option<String>,
    /// Counts to add to `meta.facets`, comma-separated: `category` (articles per category),
    /// `field` (procedures and questions per field), `site`. They count what the page is drawn
    /// from (the kinds asked for, every filter applied).
    pub facets: Option<String>,
    /// Page number, from 1. Pages reach the first 10,000 things found.
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

impl From<[u64; 4]> for KindCounts {
    /// From counts by kind code.
    fn from(counts: [u64; 4]) -> Self {
        Self { article: counts[0], procedure: counts[1], question: counts[2], event: counts[3] }
    }
}

/// What answered a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The search engine: relevance, phrases, typos, facets.
    Index,
    /// The database, while this node builds its index (seconds at a first start or after an
    /// upgrade): every word contained, newest first, exact counts, no facets.
    Database,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchMeta {
    pub source: Source,
    /// Things matching over all pages (of the kinds asked for).
    pub total: i64,
    /// Whether `total`, `counts` and `facets` are estimates: a query matching so much that
    /// reading every match would pass this node's time budget per search is cut short, its
    /// results drawn from what was read and its counts extrapolated. Exact otherwise.
    pub total_is_estimate: bool,
    pub page: u32,
    pub per_page: u32,
    pub counts: KindCounts,
    /// Only when `facets` asks for them (and the index answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<SearchFacets>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    pub data: Vec<SearchHit>,
    pub meta: SearchMeta,
}

/// The first this many things found can be paged to.
const MAX_DEPTH: u64 = 10_000;

/// Searches the public articles, procedures, questions and events.
///
/// Only what the public can see is found: drafts, scheduled articles before their time, questions
/// not published and deleted content never are. The index follows the database within about a
/// second of a commit, on every node. While a node builds its index (its first start, or after an
/// upgrade that changes the index) the database answers instead (`meta.source: database`: every
/// word contained, newest first, no facets).
#[utoipa::path(
    tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of things found, best first, and the counts per kind", body = SearchResponse,
            headers(("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
                    ("X-Total-Count" = i64, description = "Things matching, over all pages"))),
        (status = 400, description = "No words, a query too long, or an invalid filter"),
        (status = 503, description = "The database cannot be reached; try again after `Retry-After` seconds"),
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
    if paging.offset() + paging.limit() > MAX_DEPTH as i64 {
        return Err(bad_parameter("page", "too_deep", format!("pages reach the first {MAX_DEPTH} things found")));
    }
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
    let facets = FacetsWanted::parse(query.facets.as_deref())?;
    let zone = state.config.time_zone();
    let from = query.from.as_deref().map(|v| parse_instant("from", v, zone, false)).transpose()?;
    let to = query.to.as_deref().map(|v| parse_instant("to", v, zone, true)).transpose()?;
    // Without a built index (its first build, or one that could not be opened), the database answers.
    let index = state.search.clone().filter(|index| index.position().is_some());
    let (site, category, field) = (query.site, query.category, query.field);
    let (site_ids, category_ids, field_id) = if site.is_empty() && category.is_none() && field.is_none() {
        (None, None, None)
    } else {
        db::run(&state.db, move |conn| {
            let site_ids = sites::site_filter(conn, &site)?;
            let category_ids = match &category {
                Some(key) => Some(crate::articles::category_with_descendants(conn, key, site_ids.as_deref())?),
                None => None,
            };
            let field_id = crate::fields::filter_id(conn, field.as_deref())?;
            Ok((site_ids, category_ids, field_id))
        })
        .await?
    };
    let filters = Filters { kinds, site_ids, category_ids, field_id, from, to };
    let (answer, at) = match index {
        Some(index) => {
            let budget = state.config.search_budget;
            let at = index.position();
            let ask = Ask { parsed, filters, paging, by_date, facets, budget };
            let (mut answer, gathered) =
                web::block(move || ask.run(&index)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
            if facets.any() {
                answer.meta.facets = Some(db::run(&state.db, move |conn| Ok(facets.name(conn, &gathered)?)).await?);
            }
            (answer, at)
        }
        None => (db::run(&state.db, move |conn| Ok(from_database(conn, &parsed, &filters, paging)?)).await?, None),
    };
    let total = answer.meta.total;
    let mut res = HttpResponse::Ok();
    res.insert_header((header::LINK, page_links(&req, total.min(MAX_DEPTH as i64), paging, None)))
        .insert_header(("X-Total-Count", total.to_string()));
    if let Some(at) = at {
        // Kept by the response cache while the index stays where it was (and the content too).
        res.insert_header((header::CACHE_CONTROL, "public, max-age=30"));
        res.extensions_mut().insert(crate::cache::FromIndex::from(at));
    } else {
        res.insert_header((header::CACHE_CONTROL, "no-cache"));
    }
    Ok(res.json(answer))
}

struct Filters {
    kinds: Vec<Kind>,
    site_ids: Option<Vec<i64>>,
    /// Articles in these categories (with `field_id`, procedures and questions of that field too).
    category_ids: Option<Vec<i64>>,
    field_id: Option<i64>,
    from: Option<chrono::NaiveDateTime>,
    to: Option<chrono::NaiveDateTime>,
}

impl Filters {
    /// The matches of the kinds asked for, from the counts per kind.
    fn total(&self, counts: &[u64; 4]) -> u64 {
        if self.kinds.is_empty() {
            counts.iter().sum()
        } else {
            self.kinds.iter().map(|k| counts[k.code() as usize]).sum()
        }
    }
}

fn any_of(terms: impl Iterator<Item = Term>) -> Box<dyn Query> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .map(|t| (Occur::Should, Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>))
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

fn all_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Must, q)).collect()))
}

/// Answers a search from the database (see [`fallback`]).
fn from_database(
    conn: &mut db::DbConn,
    parsed: &query::Parsed,
    filters: &Filters,
    paging: Paging,
) -> diesel::QueryResult<SearchResponse> {
    let now = db::now();
    let (counts, newest) = fallback::search(conn, parsed, filters, paging.offset() + paging.limit(), now)?;
    let page: Vec<(Kind, i64)> =
        newest.into_iter().skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX)).collect();
    let marked = parsed.marked_words();
    let marked: HashSet<&str> = marked.iter().map(String::as_str).collect();
    let prefix = parsed.prefix.as_ref().map(|p| p.folded.as_str());
    let data = fallback::documents(conn, &page, now)?
        .into_iter()
        .map(|doc| SearchHit {
            kind: doc.kind,
            id: doc.id,
            site_id: doc.site_id,
            snippet: snippet_of(&doc.body, &doc.summary, &marked, prefix),
            date: doc.date,
            title: doc.title,
            handle: doc.handle,
            score: 0.0,
        })
        .collect();
    Ok(SearchResponse {
        data,
        meta: SearchMeta {
            source: Source::Database,
            total: filters.total(&counts) as i64,
            total_is_estimate: false,
            page: paging.page,
            per_page: paging.per_page,
            counts: counts.into(),
            facets: None,
        },
    })
}

/// A passage of the body (or the summary) where the words are, or their opening.
fn snippet_of(body: &str, summary: &str, marked: &HashSet<&str>, prefix: Option<&str>) -> String {
    snippet::passage(body, marked, prefix)
        .or_else(|| snippet::passage(summary, marked, prefix))
        .unwrap_or_else(|| snippet::opening(if summary.is_empty() { body } else { summary }))
}

/// What a resource's list asks of the engine for its `q`: the ids of one page of public
/// resources of one kind, best first (or newest first), and how many there are.
pub struct Lookup<'a> {
    pub q: &'a str,
    pub kind: Kind,
    pub site_ids: Option<Vec<i64>>,
    /// Only articles in these categories.
    pub category_ids: Option<Vec<i64>>,
    pub from: Option<chrono::NaiveDateTime>,
    pub to: Option<chrono::NaiveDateTime>,
    pub by_date: bool,
    pub paging: Paging,
}

/// One page of ids found for a list, their total, and where the index stood; `None` when the
/// engine cannot answer (this node's index is not built yet, or `q` holds no word), so that the
/// list searches the database instead.
pub fn lookup(
    index: &SearchIndex,
    lookup: Lookup<'_>,
    budget: Duration,
) -> Option<tantivy::Result<(Vec<i64>, u64, Position)>> {
    // Read before the search: should the index move meanwhile, the answer is kept as older.
    let at = index.position()?;
    let q = lookup.q.chars().take(query::MAX_QUERY_CHARS).collect::<String>();
    let parsed = query::Parsed::new(&q)?;
    let filters = Filters {
        kinds: vec![lookup.kind],
        site_ids: lookup.site_ids,
        category_ids: lookup.category_ids,
        field_id: None,
        from: lookup.from,
        to: lookup.to,
    };
    let offset = usize::try_from(lookup.paging.offset()).unwrap_or(usize::MAX);
    let ask = Ask {
        parsed,
        filters,
        paging: lookup.paging,
        by_date: lookup.by_date,
        facets: FacetsWanted::default(),
        budget,
    };
    let found = ask.gather(index);
    Some(found.map(|(gathered, searcher)| {
        let ids = gathered
            .best
            .iter()
            .skip(offset)
            .filter_map(|found| {
                let segment = searcher.segment_reader(found.address.segment_ord);
                segment.fast_fields().u64("id").ok()?.first(found.address.doc_id).map(|id| id as i64)
            })
            .collect();
        (ids, gathered.counts[lookup.kind.code() as usize], at)
    }))
}

/// A search to run on the index: the words, the filters, the page and what to gather.
struct Ask {
    parsed: query::Parsed,
    filters: Filters,
    paging: Paging,
    by_date: bool,
    facets: FacetsWanted,
    budget: Duration,
}

impl Ask {
    /// Runs the search on the index as it stands and answers it.
    fn run(&self, index: &SearchIndex) -> tantivy::Result<(SearchResponse, collect::Gathered)> {
        let Ask { parsed, filters, paging, by_date, .. } = self;
        let (paging, by_date) = (*paging, *by_date);
        let (gathered, searcher) = self.gather(index)?;
        let f = &index.fields;
        let counts = gathered.counts;
        let total = filters.total(&counts);
        let marked = parsed.marked_words();
        let marked: HashSet<&str> = marked.iter().map(String::as_str).collect();
        let prefix = parsed.prefix.as_ref().map(|p| p.folded.as_str());
        let mut data = Vec::with_capacity(paging.per_page as usize);
        for found in gathered.best.iter().skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX)) {
            let doc: TantivyDocument = searcher.doc(found.address)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let number = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or_default();
            let kind = Kind::from_code(number(f.kind)).unwrap_or(Kind::Article);
            let date = doc.get_first(f.date).and_then(|v| v.as_i64()).unwrap_or_default();
            let (body, summary) = (text(f.body), text(f.summary));
            let snippet = snippet_of(&body, &summary, &marked, prefix);
            data.push(SearchHit {
                kind,
                id: number(f.id) as i64,
                handle: text(f.handle),
                site_id: number(f.site) as i64,
                title: text(f.title),
                snippet,
                date: chrono::DateTime::from_timestamp(date, 0).unwrap_or_default().naive_utc(),
                score: if by_date { 0.0 } else { found.rank as f32 },
            });
        }
        let response = SearchResponse {
            data,
            meta: SearchMeta {
                source: Source::Index,
                total: total as i64,
                total_is_estimate: gathered.estimated,
                page: paging.page,
                per_page: paging.per_page,
                counts: counts.into(),
                facets: None,
            },
        };
        Ok((response, gathered))
    }

    /// Reads the matches of the search in one pass: as typed, then, when nothing of the kinds asked
    /// for matches, forgiving a typo in long words.
    fn gather(&self, index: &SearchIndex) -> tantivy::Result<(collect::Gathered, tantivy::Searcher)> {
        let Ask { parsed, filters, paging, by_date, facets, budget } = self;
        let searcher = index.reader.searcher();
        let gather = collect::Gather {
            kinds: collect::Gather::mask(&filters.kinds),
            keep: usize::try_from(paging.offset() + paging.limit()).unwrap_or(usize::MAX),
            rank: if *by_date { Rank::Date } else { Rank::Relevance { now: chrono::Utc::now().timestamp() } },
            groups: facets.category || facets.field,
            sites: facets.site,
            budget: *budget,
        };
        let found = searcher.search(&to_query(index, parsed, filters, false), &gather)?;
        if filters.total(&found.counts) > 0 || !parsed.allows_typos() {
            return Ok((found, searcher));
        }
        let found = searcher.search(&to_query(index, parsed, filters, true), &gather)?;
        Ok((found, searcher))
    }
}

/// The words and every filter but the kinds (the counts per kind ignore those).
fn to_query(index: &SearchIndex, parsed: &query::Parsed, filters: &Filters, typos: bool) -> BooleanQuery {
    let f = &index.fields;
    let kind_is = |kinds: &[Kind]| any_of(kinds.iter().map(|k| Term::from_field_u64(f.kind, k.code())));
    let group_in = |ids: &[i64]| any_of(ids.iter().map(|id| Term::from_field_u64(f.group, *id as u64)));
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, parsed.to_query(f, typos))];
    if let Some(ids) = &filters.site_ids {
        clauses.push((Occur::Must, any_of(ids.iter().map(|id| Term::from_field_u64(f.site, *id as u64)))));
    }
    // A category narrows the articles, a field the procedures and questions; with both, either.
    let mut groups: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(ids) = &filters.category_ids {
        groups.push((Occur::Should, all_of(vec![kind_is(&[Kind::Article]), group_in(ids)])));
    }
    if let Some(id) = filters.field_id {
        groups.push((Occur::Should, all_of(vec![kind_is(&[Kind::Procedure, Kind::Question]), group_in(&[id])])));
    }
    if !groups.is_empty() {
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(groups))));
    }
    if filters.from.is_some() || filters.to.is_some() {
        let bound = |at: Option<chrono::NaiveDateTime>| {
            at.map_or(Bound::Unbounded, |t| Bound::Included(Term::from_field_i64(f.date, t.and_utc().timestamp())))
        };
        clauses.push((Occur::Must, Box::new(RangeQuery::new(bound(filters.from), bound(filters.to)))));
    }
    BooleanQuery::new(clauses)
}

#[cfg(test)]
mod tests;

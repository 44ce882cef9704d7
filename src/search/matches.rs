//! What a list whose other filters the index does not hold asks of the engine for its `q`: every
//! public match of one kind, best first; the list applies its own filters (a procedure's
//! validity, an event's dates and chair) to these ids in the database, and pages what is left.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpResponse;

use super::{Kind, Lookup, SearchIndex, lookup};
use crate::changes::Position;
use crate::error::ApiError;
use crate::http::paging::Paging;
use crate::state::AppState;

/// Most matches a list considers: the content lists searched this way (procedures, questions,
/// events) hold thousands, not hundreds of thousands; past this, a query is too broad to be paged
/// through, and the best ones are kept.
pub const MATCHES_BOUND: u32 = 10_000;

/// This node's search index and the time one search may take, for a list's `q`.
#[derive(Clone)]
pub struct Engine {
    index: Arc<SearchIndex>,
    budget: Duration,
}

impl Engine {
    /// The engine of this node, when it has an index.
    pub fn of(state: &AppState) -> Option<Self> {
        Some(Self { index: state.search.clone()?, budget: state.config.search_budget })
    }

    /// Every public match of `q` among resources of `kind` (of these sites), best first; `None`
    /// when the engine cannot answer (its first build is not done, or `q` holds no word), so the
    /// list searches the database instead.
    pub fn matches(&self, q: &str, kind: Kind, site_ids: Option<Vec<i64>>) -> Result<Option<Matches>, ApiError> {
        let paging = Paging { page: 1, per_page: MATCHES_BOUND };
        let ask = Lookup { q, kind, site_ids, category_ids: None, from: None, to: None, by_date: false, paging };
        match lookup(&self.index, ask, self.budget) {
            None => Ok(None),
            Some(found) => found.map(|(ids, _, at)| Some(Matches { ids, at })).map_err(ApiError::internal),
        }
    }
}

/// The public resources of a kind that match a list's `q`, best first.
#[derive(Debug, Clone)]
pub struct Matches {
    pub ids: Vec<i64>,
    /// Where the index stood when it was searched (for the response cache).
    pub at: Position,
}

impl Matches {
    /// Of `matching` (the ids that also pass the list's other filters, in any order), one page in
    /// the engine's order, its rows loaded by `load` and put in that order, and how many there are.
    pub fn page_rows<R>(
        &self,
        matching: &[i64],
        paging: Paging,
        load: impl FnOnce(&[i64]) -> diesel::QueryResult<Vec<R>>,
        id_of: impl Fn(&R) -> i64,
    ) -> diesel::QueryResult<(Vec<R>, i64)> {
        let matching: std::collections::HashSet<i64> = matching.iter().copied().collect();
        let ranked: Vec<i64> = self.ids.iter().copied().filter(|id| matching.contains(id)).collect();
        let start = usize::try_from(paging.offset()).unwrap_or(usize::MAX).min(ranked.len());
        let end = start.saturating_add(usize::try_from(paging.limit()).unwrap_or(0)).min(ranked.len());
        let page = &ranked[start..end];
        let mut rows = load(page)?;
        rows.sort_by_key(|row| page.iter().position(|id| *id == id_of(row)));
        Ok((rows, ranked.len() as i64))
    }
}

/// Tells the response cache that `res` was drawn from the index as it stood `at`, so that a kept
/// copy is dropped once the index moves.
pub fn mark_drawn_from_index(res: &mut HttpResponse, at: Option<Position>) {
    if let Some(at) = at {
        res.extensions_mut().insert(crate::cache::FromIndex::from(at));
    }
}

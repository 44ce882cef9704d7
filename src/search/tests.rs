//! The one pass over a query's matches, on an index built here: counts, the best, facets, and the
//! budget's estimate.

use super::*;
use crate::changes::Position;
use source::SearchDoc;

/// An index of `n` articles about the same thing (every one matches `dan van`), and one event.
fn index(n: i64) -> (tempfile::TempDir, std::sync::Arc<SearchIndex>) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let doc = |kind, id: i64| SearchDoc {
        kind,
        id,
        site_id: 1,
        group: Some(id % 3),
        date: date + chrono::Duration::hours(id),
        title: format!("Dân vận khéo số {id}"),
        summary: String::new(),
        body: "Mô hình dân vận được nhân rộng.".into(),
        tags: Vec::new(),
        handle: id.to_string(),
    };
    let mut docs: Vec<SearchDoc> = (1..=n).map(|id| doc(Kind::Article, id)).collect();
    docs.push(doc(Kind::Event, n + 1));
    index.apply(&[], &docs, Position { tick: 1, id: 1 }).unwrap();
    (dir, index)
}

fn gathered(index: &SearchIndex, by_date: bool, budget: Duration) -> collect::Gathered {
    let filters = Filters {
        kinds: vec![Kind::Article],
        site_ids: None,
        category_ids: None,
        field_id: None,
        from: None,
        to: None,
    };
    let parsed = query::Parsed::new("dan van").unwrap();
    let paging = Paging { page: 1, per_page: 5 };
    let facets = FacetsWanted { category: true, field: false, site: true };
    Ask { parsed, filters, paging, by_date, facets, budget }.gather(index).unwrap().0
}

#[test]
fn one_pass_counts_every_kind_keeps_the_best_of_those_asked_for_and_counts_facets() {
    let (_dir, index) = index(30);
    let found = gathered(&index, true, Duration::from_secs(10));
    assert!(!found.estimated);
    assert_eq!(found.counts, [30, 0, 0, 1]);
    assert_eq!(found.best.len(), 5);
    let searcher = index.reader.searcher();
    let ids: Vec<u64> = found
        .best
        .iter()
        .map(|r| {
            searcher
                .segment_reader(r.address.segment_ord)
                .fast_fields()
                .u64("id")
                .unwrap()
                .first(r.address.doc_id)
                .unwrap()
        })
        .collect();
    assert_eq!(ids, [30, 29, 28, 27, 26], "newest first, the event left out");
    assert_eq!(found.groups.values().sum::<u64>(), 30);
    assert_eq!(found.groups[&(Kind::Article.code(), 0)], 10);
    assert_eq!(found.sites[&1], 30);
}

/// A query past its budget stops after the first block of matches and extrapolates its counts
/// from the share of the index it read.
#[test]
fn a_search_past_its_budget_estimates_its_counts() {
    let (_dir, index) = index(5_000);
    let found = gathered(&index, false, Duration::ZERO);
    assert!(found.estimated);
    assert_eq!(found.best.len(), 5, "the best of what was read");
    let articles = found.counts[Kind::Article.code() as usize];
    assert!((4_500..=5_500).contains(&articles), "estimated {articles} of 5,000");
    let exact = gathered(&index, false, Duration::from_secs(10));
    assert!(!exact.estimated);
    assert_eq!(exact.counts[Kind::Article.code() as usize], 5_000);
}
